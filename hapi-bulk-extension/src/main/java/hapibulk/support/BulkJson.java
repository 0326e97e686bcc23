package hapibulk.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one plain Jackson mapper of the extension: the JSON it keeps (requests, plans, manifests), writes (audit,
 * admin pages, SMART endpoints) and reads. Thread-safe once configured; never reconfigure it. Instants are
 * written as ISO-8601 text ({@code 2024-01-31T00:00:00Z}, as {@code Instant.toString()}), not numbers.
 * FHIR resources, whose decimals must stay as written, go through {@link ExactJson} instead.
 */
public final class BulkJson {

	public static final ObjectMapper MAPPER = new ObjectMapper()
			.registerModule(new JavaTimeModule())
			.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

	private BulkJson() {}
}
