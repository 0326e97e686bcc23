package hapibulk.export.job;

import org.hl7.fhir.r4.model.InstantType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TimeZone;

import static org.assertj.core.api.Assertions.assertThat;

/** The text must be HAPI's, character for character, in any default time zone. */
class InstantTextTest {

	@ParameterizedTest
	@ValueSource(strings = {"UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "America/St_Johns",
			"Pacific/Chatham", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Dublin"})
	void isHapisInstantText_inEveryDefaultTimeZone(String zone) {
		TimeZone before = TimeZone.getDefault();
		try {
			TimeZone.setDefault(TimeZone.getTimeZone(zone));
			for (long millis : instants()) {
				Date date = new Date(millis);
				assertThat(InstantText.of(date)).as(zone + " " + millis)
						.isEqualTo(new InstantType(date).getValueAsString());
			}
		} finally {
			TimeZone.setDefault(before);
		}
	}

	/** Random instants from 1950 to 2150, the epoch, and both sides of the 2026 clock changes in Europe and the US. */
	private static List<Long> instants() {
		List<Long> instants = new ArrayList<>(List.of(0L, 1L, 999L, 1000L, -1L, -86_400_001L, 253_402_300_799_999L,
				1_774_746_000_000L, 1_774_745_999_999L, 1_792_890_000_000L, 1_792_889_999_999L, 1_773_039_600_000L,
				1_773_039_599_999L));
		SplittableRandom random = new SplittableRandom(7);
		for (int i = 0; i < 20_000; i++) {
			instants.add(random.nextLong(-631_152_000_000L, 5_680_281_600_000L));
		}
		return instants;
	}
}
