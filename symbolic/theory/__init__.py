"""Music theory every layer shares: keys, chords, meter, General MIDI, limits. No torch."""
