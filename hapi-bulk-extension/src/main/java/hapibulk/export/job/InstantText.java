package hapibulk.export.job;

import ca.uhn.fhir.model.primitive.InstantDt;

import java.time.LocalDate;
import java.util.Date;
import java.util.TimeZone;

/**
 * {@code meta.lastUpdated} exactly as HAPI writes it on read ({@code new InstantType(date)} of the host's FHIR
 * version, formatted as the version-neutral {@code InstantDt} does: the JVM's default time zone, milliseconds, an
 * offset such as {@code +01:00}), without the three
 * {@code GregorianCalendar}s HAPI builds for it. It was the largest single cost of encoding an
 * exported line. Dates before 1970 or after 9999 take HAPI's own path.
 */
final class InstantText {

	private static final long MILLIS_PER_DAY = 86_400_000L;

	private InstantText() {}

	static String of(Date date) {
		long utc = date.getTime();
		int offset = TimeZone.getDefault().getOffset(utc);
		long local = utc + offset;
		if (utc < 0 || local < 0) {
			return new InstantDt(date).getValueAsString();
		}
		long days = local / MILLIS_PER_DAY;
		int millisOfDay = (int) (local % MILLIS_PER_DAY);
		LocalDate day = LocalDate.ofEpochDay(days);
		if (day.getYear() > 9999) {
			return new InstantDt(date).getValueAsString();
		}
		StringBuilder text = new StringBuilder(29);
		pad(text, day.getYear(), 4).append('-');
		pad(text, day.getMonthValue(), 2).append('-');
		pad(text, day.getDayOfMonth(), 2).append('T');
		pad(text, millisOfDay / 3_600_000, 2).append(':');
		pad(text, millisOfDay / 60_000 % 60, 2).append(':');
		pad(text, millisOfDay / 1000 % 60, 2).append('.');
		pad(text, millisOfDay % 1000, 3);
		text.append(offset >= 0 ? '+' : '-');
		int absolute = Math.abs(offset);
		pad(text, absolute / 3_600_000, 2).append(':');
		pad(text, absolute % 3_600_000 / 60_000, 2);
		return text.toString();
	}

	private static StringBuilder pad(StringBuilder text, int value, int width) {
		String digits = Integer.toString(value);
		for (int i = digits.length(); i < width; i++) {
			text.append('0');
		}
		return text.append(digits);
	}
}
