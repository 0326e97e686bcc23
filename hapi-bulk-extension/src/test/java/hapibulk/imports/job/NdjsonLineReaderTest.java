package hapibulk.imports.job;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class NdjsonLineReaderTest {

	private static NdjsonLineReader reader(String text, int max, long line, long offset) throws IOException {
		return new NdjsonLineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max, line, offset);
	}

	@Test
	void linesKnowTheirNumbersAndEnds_crlfAndMissingLastBreakIncluded() throws IOException {
		NdjsonLineReader reader = reader("{\"a\":1}\r\n\n{\"b\":\"ü\"}", 100, 0, 0);

		NdjsonLineReader.Line first = reader.next();
		NdjsonLineReader.Line blank = reader.next();
		NdjsonLineReader.Line last = reader.next();

		assertThat(first).isEqualTo(new NdjsonLineReader.Line(1, "{\"a\":1}", 8, 9));
		assertThat(blank.blank()).isTrue();
		assertThat(last.text()).isEqualTo("{\"b\":\"ü\"}");
		assertThat(last.number()).isEqualTo(3);
		assertThat(reader.next()).isNull();
		assertThat(reader.offset()).isEqualTo(10 + "{\"b\":\"ü\"}".getBytes(StandardCharsets.UTF_8).length);
	}

	@Test
	void anOverLongLine_isSkippedWithItsLength_andReadingGoesOn() throws IOException {
		String huge = "x".repeat(200_000);
		NdjsonLineReader reader = reader("{}\n" + huge + "\n{\"c\":3}\n", 1000, 0, 0);

		reader.next();
		NdjsonLineReader.Line tooLong = reader.next();
		NdjsonLineReader.Line after = reader.next();

		assertThat(tooLong.tooLong()).isTrue();
		assertThat(tooLong.bytes()).isEqualTo(200_000);
		assertThat(after).isEqualTo(new NdjsonLineReader.Line(3, "{\"c\":3}", 7, 3 + 200_001 + 8));
	}

	@Test
	void resumesAfterACommittedPosition() throws IOException {
		NdjsonLineReader reader = reader("{\"a\":1}\n{\"b\":2}\n", 100, 1, 8);

		assertThat(reader.next()).isEqualTo(new NdjsonLineReader.Line(2, "{\"b\":2}", 7, 16));
		assertThat(reader.next()).isNull();
	}
}
