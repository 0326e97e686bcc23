package hapibulk.deid;

import java.util.List;

/**
 * A profile's {@code parameters}, the keys excepted (they come from settings, see {@link DeidSettings}).
 *
 * @param dateShiftScope     whose dates shift by the same number of days
 * @param partialAges        redact keeps ages up to 89 ({@code enablePartialAgesForRedact}); older ones become
 *                           "90 or more" (value 90, comparator {@code >=})
 * @param partialDates       redact keeps the year of a date ({@code enablePartialDatesForRedact}), unless it says
 *                           the person would be over 89 today
 * @param partialZipCodes    redact keeps the first three digits of a postal code ({@code enablePartialZipCodesForRedact})
 * @param restrictedZipCodes three-digit areas whose codes become {@code 000} ({@code restrictedZipCodeTabulationAreas})
 */
record DeidParameters(DateShiftScope dateShiftScope, boolean partialAges, boolean partialDates, boolean partialZipCodes,
		List<String> restrictedZipCodes) {

	static final DeidParameters DEFAULTS = new DeidParameters(DateShiftScope.PATIENT, false, false, false, List.of());

	/**
	 * Which dates share one shift. The anonymizer's scopes are resource (its default), file and folder; an export has
	 * no input files or folders, so file means the resource type (one output file type) and folder the whole
	 * export. {@code patient}, the default here, shifts every resource of a patient's compartment by that
	 * patient's offset, so that intervals between a patient's events survive across all files.
	 */
	enum DateShiftScope { RESOURCE, PATIENT, FILE, FOLDER }
}
