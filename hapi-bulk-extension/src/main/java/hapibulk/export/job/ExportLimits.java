package hapibulk.export.job;

/** Page and file sizes of an export, from the {@code hapi.bulk.export.*} settings. */
record ExportLimits(int pageSize, long pageBytes, long maxResourcesPerFile, long maxFileBytes) {}
