package hapibulk.export.job;

import hapibulk.export.job.StoredResource.StoredTag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NdjsonResourceEncoderTest {

	private final NdjsonResourceEncoder encoder = new NdjsonResourceEncoder();

	@Test
	void addsIdAndMetaAfterResourceType_andCopiesTheStoredTextAsItIs() throws IOException {
		StoredResource stored = stored("{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":70.50},"
				+ "\"component\":[{\"valueDecimal\":1.000000000000000000001}],\"text\":\"a\\\"b\\u00e9\"}", List.of());

		String line = encode(stored);

		assertThat(line).isEqualTo("{\"resourceType\":\"Observation\",\"id\":\"obs-1\",\"meta\":{\"versionId\":\"3\","
				+ "\"lastUpdated\":\"" + new org.hl7.fhir.r4.model.InstantType(stored.updated()).getValueAsString()
				+ "\",\"source\":\"http://src#req\"},\"valueQuantity\":{\"value\":70.50},"
				+ "\"component\":[{\"valueDecimal\":1.000000000000000000001}],\"text\":\"a\\\"b\\u00e9\"}\n");
	}

	@Test
	void aResourceWithoutElements_getsIdAndMeta() throws IOException {
		String line = encode(stored("{\"resourceType\":\"Observation\"}", List.of()));

		assertThat(line).startsWith("{\"resourceType\":\"Observation\",\"id\":\"obs-1\",\"meta\":{\"versionId\":\"3\",")
				.endsWith("\"source\":\"http://src#req\"}}\n");
	}

	@Test
	void aStoredIdAfterTheType_isReplaced() throws IOException {
		String line = encode(stored("{\"resourceType\":\"Observation\",\"id\":\"stale\",\"status\":\"final\"}", List.of()));

		assertThat(line).startsWith("{\"resourceType\":\"Observation\",\"id\":\"obs-1\",\"meta\":{")
				.doesNotContain("stale").endsWith("},\"status\":\"final\"}\n");
	}

	@Test
	void writesProfilesSecurityAndTags_fromHapisTagRows() throws IOException {
		StoredResource stored = stored("{\"resourceType\":\"Patient\"}", List.of(
				new StoredTag(1, null, "http://example.org/profile", null, null, null),
				new StoredTag(2, "http://sec", "R", "restricted", null, null),
				new StoredTag(0, "http://tags", "t", "T", "1.0", true)));

		String line = encode(stored);

		assertThat(line).contains("\"profile\":[\"http://example.org/profile\"]")
				.contains("\"security\":[{\"system\":\"http://sec\",\"code\":\"R\",\"display\":\"restricted\"}]")
				.contains("\"tag\":[{\"system\":\"http://tags\",\"version\":\"1.0\",\"code\":\"t\",\"display\":\"T\",\"userSelected\":true}]");
	}

	@Test
	void mergesAStoredMeta_andDropsAStoredId() throws IOException {
		StoredResource stored = stored("{\"resourceType\":\"Patient\",\"id\":\"stale\",\"meta\":{\"extension\":"
				+ "[{\"url\":\"http://x\",\"valueDecimal\":2.50}],\"versionId\":\"1\"},\"active\":true}", List.of());

		String line = encode(stored);

		assertThat(line).startsWith("{\"resourceType\":\"Patient\",\"id\":\"obs-1\",\"meta\":{\"extension\":"
				+ "[{\"url\":\"http://x\",\"valueDecimal\":2.50}],\"versionId\":\"3\"")
				.doesNotContain("stale")
				.endsWith(",\"active\":true}\n");
	}

	@Test
	void aResourceHapiEncoded_isCopiedAsItIs() throws IOException {
		StoredResource complete = new StoredResource(1, "Patient", "p", 1, new Date(), null, List.of(),
				"{\"resourceType\":\"Patient\",\"id\":\"p\"}", true);

		assertThat(encode(complete)).isEqualTo("{\"resourceType\":\"Patient\",\"id\":\"p\"}\n");
	}

	private String encode(StoredResource resource) throws IOException {
		return new String(encoder.encode(resource), StandardCharsets.UTF_8);
	}

	private static StoredResource stored(String body, List<StoredTag> tags) {
		return new StoredResource(7, "Observation", "obs-1", 3, new Date(1_700_000_000_123L), "http://src#req", tags,
				body, false);
	}
}
