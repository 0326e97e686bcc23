package hapibulk.admin;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.support.BulkErrors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of {@code GET $bulk-jobs}, read strictly: an unknown or repeated parameter, or a value
 * out of range, is a 400 rather than a silently different list.
 *
 * @param job    one job to show in detail, or null for the list
 * @param states the states to list (comma-separated, any case), empty for all
 * @param kind   export or import, or null for both
 * @param count  jobs per page ({@code _count}, 1 to {@link #MAX_COUNT})
 * @param page   the page, from 1
 */
record JobListQuery(String job, List<BulkJobState> states, BulkJobKind kind, int count, int page) {

	static final int DEFAULT_COUNT = 20;
	static final int MAX_COUNT = 100;
	private static final Set<String> NAMES = Set.of("job", "state", "kind", "_count", "page", "_format", "_pretty");

	static JobListQuery parse(Map<String, String[]> parameters) {
		for (Map.Entry<String, String[]> parameter : parameters.entrySet()) {
			if (!NAMES.contains(parameter.getKey())) {
				throw bad(BulkErrors.code(620) + "Unknown parameter '" + parameter.getKey() + "'; $bulk-jobs takes " + String.join(", ",
						List.of("job", "state", "kind", "_count", "page")));
			}
			if (parameter.getValue().length > 1) {
				throw bad(BulkErrors.code(627) + "The parameter '" + parameter.getKey() + "' may be given only once");
			}
		}
		String job = value(parameters, "job");
		if (job != null && parameters.keySet().stream().anyMatch(name -> !name.equals("job") && !name.startsWith("_"))) {
			throw bad(BulkErrors.code(628) + "job shows one job; it takes no state, kind or page");
		}
		return new JobListQuery(job, states(value(parameters, "state")), kind(value(parameters, "kind")),
				number(value(parameters, "_count"), DEFAULT_COUNT, MAX_COUNT, BulkErrors.code(623) + "_count"),
				number(value(parameters, "page"), 1, Integer.MAX_VALUE, BulkErrors.code(624) + "page"));
	}

	/** The filters and page, for the audit: {@code state=failed kind=import page=2 _count=20}. */
	String describe() {
		StringBuilder text = new StringBuilder();
		if (!states.isEmpty()) {
			text.append("state=").append(String.join(",", states.stream().map(s -> s.name().toLowerCase(Locale.ROOT)).toList()))
					.append(' ');
		}
		if (kind != null) {
			text.append("kind=").append(kind.name().toLowerCase(Locale.ROOT)).append(' ');
		}
		return text.append("page=").append(page).append(" _count=").append(count).toString();
	}

	int offset() {
		return (int) Math.min(Integer.MAX_VALUE, (long) (page - 1) * count);
	}

	private static List<BulkJobState> states(String text) {
		List<BulkJobState> states = new ArrayList<>();
		if (text == null) {
			return states;
		}
		for (String part : text.split(",")) {
			try {
				states.add(BulkJobState.valueOf(part.strip().toUpperCase(Locale.ROOT)));
			} catch (IllegalArgumentException e) {
				throw bad(BulkErrors.code(621) + "Unknown state '" + part.strip() + "'; states are "
						+ Arrays.toString(BulkJobState.values()).toLowerCase(Locale.ROOT));
			}
		}
		return states;
	}

	private static BulkJobKind kind(String text) {
		if (text == null) {
			return null;
		}
		try {
			return BulkJobKind.valueOf(text.strip().toUpperCase(Locale.ROOT));
		} catch (IllegalArgumentException e) {
			throw bad(BulkErrors.code(622) + "Unknown kind '" + text + "'; kinds are export and import");
		}
	}

	/** @param name the parameter's name, after its error code */
	private static int number(String text, int absent, int max, String name) {
		if (text == null) {
			return absent;
		}
		try {
			int number = Integer.parseInt(text.strip());
			if (number >= 1 && number <= max) {
				return number;
			}
		} catch (NumberFormatException e) {
			// answered below
		}
		throw bad(name + " must be a whole number from 1 to " + max);
	}

	/** A parameter's value; an empty one counts as absent. */
	private static String value(Map<String, String[]> parameters, String name) {
		String[] values = parameters.get(name);
		return values == null || values.length == 0 || values[0].isBlank() ? null : values[0];
	}

	private static InvalidRequestException bad(String message) {
		return new InvalidRequestException(message);
	}
}
