package hapibulk.job;

import java.time.Duration;

/**
 * What every job reads of the shared settings, passed down from config/ so that no job needs
 * {@code BulkProperties}.
 *
 * @param retention           how long a completed job's files stay available ({@code hapi.bulk.retention})
 * @param requiresAccessToken whether files need a bearer token (whenever {@code hapi.bulk.auth.enabled})
 * @param workerThreads       the threads that run partitions ({@code hapi.bulk.worker-threads}, resolved)
 * @param retryAfter          the Retry-After of answers that ask a client to come back ({@code hapi.bulk.retry-after})
 */
public record JobSettings(Duration retention, boolean requiresAccessToken, int workerThreads, Duration retryAfter) {}
