package hapibulk.status;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.support.BulkErrors;

/** Strict reading of the status and file endpoints' query parameters. */
final class BulkRequestParameters {

	private BulkRequestParameters() {}

	/** A repeated {@code job}, {@code file} or {@code page} is refused: HAPI would silently take the first. */
	static void requireSingle(ServletRequestDetails request, String... names) {
		for (String name : names) {
			String[] values = request.getParameters().get(name);
			if (values != null && values.length > 1) {
				throw new InvalidRequestException(BulkErrors.code(207) + "The parameter '" + name
						+ "' may be given only once");
			}
		}
	}

	/** {@code page}: a positive whole number, 1 when absent. */
	static int pageNumber(String page) {
		if (page == null || page.isBlank()) {
			return 1;
		}
		try {
			int number = Integer.parseInt(page.strip());
			if (number >= 1) {
				return number;
			}
		} catch (NumberFormatException e) {
			// answered below
		}
		throw new InvalidRequestException(BulkErrors.code(208) + "page must be a whole number from 1 to "
				+ Integer.MAX_VALUE + ", not '" + page + "'");
	}
}
