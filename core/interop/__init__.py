"""Tags to and from other programs: XMP sidecars, exiftool, keywords, classifier packs, export."""
