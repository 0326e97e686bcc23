package hapibulk.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The names and labels a Prometheus scrape shows for every meter of ours, as docs/metrics.md lists them. */
class PrometheusNamesTest {

	@Test
	void everyMeter_scrapesUnderTheDocumentedPrometheusName() {
		// given
		PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
		BulkMetrics metrics = BulkMetrics.on(registry);

		// when
		metrics.kickOff("export", "group", "accepted");
		metrics.jobFinished("export", "group", "completed", Duration.ofSeconds(42));
		metrics.resources("export", "Patient", 13);
		metrics.bytes("export", "Patient", "output", 4096);
		metrics.importLines("Patient", "error", 2);
		metrics.chunk("bulkExportTypeStep", "committed", Duration.ofMillis(120));
		metrics.tokenIssued();
		metrics.tokenRefused("invalid_client");
		metrics.statusThrottled();
		metrics.partitionSent("bulkExportTypeStep");
		metrics.gauge("jobs.active", "Bulk jobs", null, new String[] {"kind", "export", "state", "running"}, () -> 3);
		metrics.gauge("storage.held", "Bytes held", "bytes", new String[] {}, () -> 1024);
		String scrape = registry.scrape();

		// then
		assertThat(scrape).contains(
				"hapi_bulk_kickoffs_total{kind=\"export\",level=\"group\",outcome=\"accepted\"} 1.0",
				"hapi_bulk_jobs_finished_total{kind=\"export\",level=\"group\",state=\"completed\"} 1.0",
				"hapi_bulk_job_duration_seconds_count{kind=\"export\",level=\"group\",state=\"completed\"} 1",
				"hapi_bulk_job_duration_seconds_bucket{kind=\"export\",level=\"group\",state=\"completed\",le=\"+Inf\"} 1",
				"hapi_bulk_resources_total{kind=\"export\",type=\"Patient\"} 13.0",
				"hapi_bulk_bytes_total{array=\"output\",kind=\"export\",type=\"Patient\"} 4096.0",
				"hapi_bulk_import_lines_total{outcome=\"error\",type=\"Patient\"} 2.0",
				"hapi_bulk_chunk_duration_seconds_count{outcome=\"committed\",step=\"bulkExportTypeStep\"} 1",
				"hapi_bulk_tokens_issued_total 1.0",
				"hapi_bulk_tokens_refused_total{reason=\"invalid_client\"} 1.0",
				"hapi_bulk_status_throttled_total 1.0",
				"hapi_bulk_cluster_partitions_sent_total{step=\"bulkExportTypeStep\"} 1.0",
				"hapi_bulk_jobs_active{kind=\"export\",state=\"running\"} 3.0",
				"hapi_bulk_storage_held_bytes 1024.0");
	}
}
