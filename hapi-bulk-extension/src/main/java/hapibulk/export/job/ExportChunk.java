package hapibulk.export.job;

/**
 * What one chunk of an export partition did: the cursor to commit, resources written (block headers not
 * counted), and whether more follow.
 */
record ExportChunk(ExportCursor cursor, long resources, boolean more) {}
