package hapibulk.deid;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The anonymizer's date rules on the text of a FHIR date, dateTime or instant: partial redaction keeps the year
 * unless the date says the person would be over 89 today; a shift moves the day and sets the time of day to
 * midnight, keeping the time zone; a date without a day cannot be shifted and is redacted instead.
 */
final class DateValues {

	static final int AGE_THRESHOLD = 89;

	private static final Pattern DATE = Pattern.compile("^(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(.*))?)?$", Pattern.DOTALL);
	private static final Pattern TIME = Pattern.compile("^T(\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?)(.*)$", Pattern.DOTALL);

	private DateValues() {}

	static boolean isDateType(String type) {
		return type.equals("date") || type.equals("dateTime") || type.equals("instant");
	}

	/**
	 * What redaction leaves of a date: its year, when partial dates are on and the date is not indicative of an
	 * age over 89; otherwise nothing (null). An instant cannot be a bare year, so it is removed.
	 */
	static String redact(String value, String type, boolean partialDates, LocalDate today) {
		Matcher date = DATE.matcher(value);
		if (!partialDates || !date.matches() || type.equals("instant") || overAge(date, today)) {
			return null;
		}
		return date.group(1);
	}

	/** Whether the date can be shifted: it has a day and does not say the person would be over 89. */
	static boolean shiftable(String value, LocalDate today) {
		Matcher date = DATE.matcher(value);
		return date.matches() && date.group(3) != null && !overAge(date, today);
	}

	/** The date moved by {@code days}; a time of day becomes 00:00:00 (its zone is kept). */
	static String shift(String value, int days) {
		Matcher date = DATE.matcher(value);
		if (!date.matches() || date.group(3) == null) {
			throw new IllegalArgumentException("not a date with a day: " + value);
		}
		LocalDate shifted;
		try {
			shifted = LocalDate.parse(value.substring(0, 10)).plusDays(days);
		} catch (DateTimeParseException e) {
			throw new IllegalArgumentException("not a date: " + value, e);
		}
		String rest = date.group(4);
		Matcher time = TIME.matcher(rest);
		if (time.matches()) {
			rest = "T" + time.group(1).replaceAll("\\d", "0") + time.group(2);
		}
		return shifted + rest;
	}

	/** The anonymizer's test: years from the date to today (a missing month or day counts as the first) over 89. */
	private static boolean overAge(Matcher date, LocalDate today) {
		int year = Integer.parseInt(date.group(1));
		int month = date.group(2) == null ? 1 : Integer.parseInt(date.group(2));
		int day = date.group(3) == null ? 1 : Integer.parseInt(date.group(3));
		int age = today.getYear() - year
				- (today.getMonthValue() < month || (today.getMonthValue() == month && today.getDayOfMonth() < day) ? 1 : 0);
		return age > AGE_THRESHOLD;
	}
}
