package hapibulk.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Malformed and odd requests to every bulk endpoint (kick-offs by GET and POST at every level, {@code Parameters}
 * bodies, {@code $import} bodies, status and file requests), generated from a fixed seed, and the check of an
 * answer: no 5xx, and nothing internal (a stack trace, SQL, a file path, a class name) that the request did not
 * itself hold. Used in process ({@code BulkRequestFuzzTest}) and over HTTP against the WAR
 * ({@code BulkRequestFuzzIT}): JDK classes only, so that src-it can take it from the extension's test jar.
 */
public final class BulkRequestCases {

	public static final long SEED = 20261129L;
	public static final int CASES = 400;

	/** What an answer must not show unless the request held it. */
	private static final List<String> INTERNALS = List.of("\tat ", "Exception", "java.", "org.hibernate",
			"org.springframework", "org.h2", "postgresql", "jdbc:", "INSERT INTO", "SELECT ", "BULK_JOB", "HFJ_",
			"BATCH_", "/tmp/", "/root/", "/work/");

	private static final List<String> LEVELS = List.of("$export", "Patient/$export", "Patient/p1/$export",
			"Patient/nobody/$export", "Group/g1/$export", "Group/none/$export");
	private static final List<String> EXPORT_NAMES = List.of("_type", "_since", "_until", "_outputFormat", "patient",
			"_elements", "_typeFilter", "includeAssociatedData", "organizeOutputBy", "allowPartialManifests",
			"_outputSplit", "", "_type[]", "%00", "_pretty", "_format", "_summary", "job", "page");
	private static final List<String> VALUES = List.of("Patient", "Patient,Observation", "Organization", "Nope",
			",,,", "", " ", "%ZZ", "%", "%2", "%00", "%E2%82", "2020", "2020-01-01", "2020-01-01T00:00:00",
			"2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "2020-13-45T99:99:99Z", "-1", "0", "99999999999",
			"true", "maybe", "null", "Patient/p1", "Patient/", "Patient/../Group/g1", "http://evil.example/Patient/1",
			"Patient%3Fname%3Dx", "Patient%3Fstatus%3Dactive", "Patient%3F_include%3D*", "Patient%3Fname%3D%25",
			"Observation%3Fcode%3Ahttp%3A%2F%2Floinc.org%7C1234", "Patient%3F_has%3AObservation%3Apatient%3Acode%3D1",
			"Patient.id", "id,meta", "Patient.nope", "LatestProvenanceResources", "_custom",
			"application/fhir+ndjson", "text/csv", "%F0%9F%98%80", "%C3%A9", "a%26b%3Dc", "${jndi:ldap://x}",
			"<script>", "'\"", "\\", "../../etc/passwd", "%2e%2e%2f");
	private static final List<String> ACCEPTS = List.of("application/fhir+json", "application/json", "*/*",
			"application/*", "text/html", "", "application/fhir+json;q=0", "application/fhir+xml",
			"application/json;q=abc", ";;;", "application/fhir+json, application/json");
	private static final List<String> PREFERS = List.of("respond-async", "respond-async, handling=lenient",
			"respond-async; foo", "respond-async;", "handling=lenient", "", "respond-async,,", "respond-async; wait=x",
			"handling=\"lenient\", respond-async", "separate-export-status, respond-async", ";=,;", "respond-async=");
	private static final List<String> BODIES = List.of("", "{", "[]", "null", "42", "\"x\"", "{}",
			"{\"resourceType\":\"Patient\"}", "{\"resourceType\":\"Parameters\"}",
			"{\"resourceType\":\"Parameters\",\"parameter\":null}", "{\"resourceType\":\"Parameters\",\"parameter\":[]}",
			"{\"resourceType\":\"Parameters\",\"parameter\":[null]}", "{\"resourceType\":\"Parameters\",\"parameter\":[{}]}",
			"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":null}]}", "<Parameters xmlns=\"http://hl7.org/fhir\"/>",
			"<Parameters", "{\"resourceType\":\"Nope\"}", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"x\","
					+ "\"part\":[{\"part\":[{\"part\":[]}]}]}]}", "\u0000\u0001", "{\"input\":[{}]}", "{\"input\":\"x\"}",
			"{\"inputFormat\":1,\"input\":[{\"type\":\"Patient\",\"url\":\"file:///etc/passwd\"}]}",
			"{\"input\":[{\"type\":\"Patient\",\"url\":\"http://169.254.169.254/latest\"}]}");

	private final Random random = new Random(SEED);
	private final List<String> internals;

	/** @param moreInternals more text no answer may show (the test's own directory names) */
	public BulkRequestCases(String... moreInternals) {
		List<String> all = new ArrayList<>(INTERNALS);
		all.addAll(List.of(moreInternals));
		internals = List.copyOf(all);
	}

	/** Case {@code i}: kick-off by GET, by POST, {@code $import}, status or file, in turn. */
	public Request next(int i, String jobId) {
		return switch (i % 4) {
			case 0 -> getKickOff();
			case 1 -> postKickOff();
			case 2 -> importKickOff();
			default -> statusOrFile(jobId);
		};
	}

	/** What is wrong with this answer to {@code request}, or null. */
	public String problem(Request request, int status, String body) {
		if (status >= 500) {
			return "a 5xx";
		}
		String asked = (request.path() + " " + request.body() + " " + String.join(" ", request.headers()))
				.toLowerCase(Locale.ROOT);
		for (String internal : internals) {
			if (body.contains(internal) && !asked.contains(internal.toLowerCase(Locale.ROOT))) {
				return "shows '" + internal + "'";
			}
		}
		return null;
	}

	public record Request(String method, String path, String body, String[] headers) {
		@Override
		public String toString() {
			return method + " " + path + (body == null ? "" : " body " + body) + " headers " + List.of(headers);
		}
	}

	private Request getKickOff() {
		StringBuilder query = new StringBuilder();
		int parameters = random.nextInt(5);
		for (int p = 0; p < parameters; p++) {
			query.append(p == 0 ? "?" : "&").append(pick(EXPORT_NAMES)).append('=').append(pick(VALUES));
		}
		if (random.nextInt(20) == 0) {
			query.append(query.isEmpty() ? "?" : "&").append("_typeFilter=Patient%3Fname%3D")
					.append("x".repeat(3000 + random.nextInt(6000)));
		}
		return new Request("GET", pick(LEVELS) + query, null, kickOffHeaders());
	}

	private Request postKickOff() {
		String body;
		if (random.nextInt(4) == 0) {
			body = pick(BODIES);
		} else {
			StringBuilder parameters = new StringBuilder("{\"resourceType\":\"Parameters\",\"parameter\":[");
			int count = 1 + random.nextInt(4);
			for (int p = 0; p < count; p++) {
				parameters.append(p == 0 ? "" : ",").append(parameter());
			}
			body = parameters.append("]}").toString();
		}
		return new Request("POST", pick(LEVELS), body, with(kickOffHeaders(), "Content-Type",
				random.nextInt(8) == 0 ? "text/plain" : "application/fhir+json"));
	}

	private String parameter() {
		String name = switch (random.nextInt(8)) {
			case 0 -> null;
			case 1 -> "";
			default -> pick(EXPORT_NAMES);
		};
		String value = decoded(pick(VALUES));
		String valueElement = switch (random.nextInt(6)) {
			case 0 -> "\"valueReference\":{\"reference\":" + quoted(value) + "}";
			case 1 -> "\"valueInstant\":" + quoted(value);
			case 2 -> "\"valueInteger\":" + (random.nextBoolean() ? "99999999999" : "-1");
			case 3 -> "\"valueBoolean\":" + quoted(value);
			case 4 -> "\"part\":[{\"name\":" + quoted(pick(EXPORT_NAMES)) + ",\"valueString\":" + quoted(value) + "}]";
			default -> "\"valueString\":" + quoted(value);
		};
		return "{" + (name == null ? (random.nextBoolean() ? "" : "\"name\":null,") : "\"name\":" + quoted(name) + ",")
				+ valueElement + "}";
	}

	private Request importKickOff() {
		String body;
		if (random.nextInt(3) == 0) {
			body = pick(BODIES);
		} else {
			String url = pick(List.of("https://files.example.org/a.ndjson", "file:///etc/passwd", "", "%ZZ",
					"http://127.0.0.1:1/x", "ftp://x/y", "https://files.example.org/../admin", "not a url"));
			String type = pick(List.of("Patient", "Nope", "", "Parameters"));
			body = random.nextBoolean()
					? "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"inputFormat\",\"valueString\":"
							+ quoted(pick(List.of("application/fhir+ndjson", "text/csv", ""))) + "},"
							+ "{" + (random.nextInt(4) == 0 ? "" : "\"name\":\"input\",") + "\"part\":["
							+ "{\"name\":\"type\",\"valueCode\":" + quoted(type) + "},"
							+ "{\"name\":\"url\",\"valueUri\":" + quoted(url) + "}]}]}"
					: "{\"inputFormat\":\"application/fhir+ndjson\",\"input\":[{\"type\":" + quoted(type) + ",\"url\":"
							+ quoted(url) + "}]}";
		}
		return new Request("POST", "$import" + (random.nextInt(10) == 0 ? "?x=" + pick(VALUES) : ""), body,
				with(kickOffHeaders(), "Content-Type", pick(List.of("application/fhir+json", "application/json",
						"application/fhir+xml", "text/plain"))));
	}

	private Request statusOrFile(String jobId) {
		String job = pick(List.of(jobId, jobId, "0123456789abcdef0123456789abcdef", "", "%ZZ", "..%2F..", "x".repeat(5000),
				jobId + "&job=" + jobId, "null", "%00"));
		String method = pick(List.of("GET", "GET", "DELETE", "POST", "PUT"));
		String path = random.nextBoolean()
				? "$bulk-status?job=" + job + (random.nextBoolean() ? "&page=" + pick(VALUES) : "")
				: "$bulk-file?job=" + job + "&file=" + pick(List.of("Patient-1.ndjson", "../../etc/passwd",
						"%2e%2e%2fetc%2fpasswd", "", "errors-1.ndjson", "Patient-1.ndjson&file=x", "%ZZ"));
		if (random.nextInt(6) == 0) {
			path = path.replace("?job=", "?");
		}
		String[] headers = random.nextBoolean() ? new String[] {"Accept", pick(ACCEPTS)} : new String[0];
		return new Request(method, path, method.equals("POST") || method.equals("PUT") ? pick(BODIES) : null, headers);
	}

	private String[] kickOffHeaders() {
		List<String> headers = new ArrayList<>();
		if (random.nextInt(8) != 0) {
			headers.addAll(List.of("Accept", pick(ACCEPTS)));
		}
		if (random.nextInt(8) != 0) {
			headers.addAll(List.of("Prefer", pick(PREFERS)));
		}
		return headers.toArray(String[]::new);
	}

	private static String[] with(String[] headers, String name, String value) {
		List<String> all = new ArrayList<>(List.of(headers));
		all.addAll(List.of(name, value));
		return all.toArray(String[]::new);
	}

	private <T> T pick(List<T> values) {
		return values.get(random.nextInt(values.size()));
	}

	private static String decoded(String value) {
		try {
			return java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8);
		} catch (IllegalArgumentException e) {
			return value;
		}
	}

	private static String quoted(String value) {
		StringBuilder json = new StringBuilder("\"");
		for (char c : value.toCharArray()) {
			if (c == '"' || c == '\\') {
				json.append('\\').append(c);
			} else if (c < 0x20) {
				json.append(String.format("\\u%04x", (int) c));
			} else {
				json.append(c);
			}
		}
		return json.append('"').toString();
	}
}
