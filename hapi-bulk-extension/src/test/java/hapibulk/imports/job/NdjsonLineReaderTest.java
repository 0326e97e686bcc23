package hapibulk.imports.job;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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

		assertThat(first).isEqualTo(new NdjsonLineReader.Line(1, "{\"a\":1}", 8, 0, 9));
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
		assertThat(after).isEqualTo(new NdjsonLineReader.Line(3, "{\"c\":3}", 7, 3 + 200_001, 3 + 200_001 + 8));
	}

	@Test
	void resumesAfterACommittedPosition() throws IOException {
		NdjsonLineReader reader = reader("{\"a\":1}\n{\"b\":2}\n", 100, 1, 8);

		assertThat(reader.next()).isEqualTo(new NdjsonLineReader.Line(2, "{\"b\":2}", 7, 8, 16));
		assertThat(reader.next()).isNull();
	}

	@Test
	void theParts_ofASplitInput_holdEveryLineExactlyOnce_wherever_theCutsFall() throws IOException {
		String text = "{\"a\":1}\n\n{\"b\":\"ü\"}\r\n{\"c\":333}\n\n\n{\"d\":4}\n{\"e\":5}";
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		List<String> all = readPart(bytes, 0, Long.MAX_VALUE);
		assertThat(all).hasSize(8);
		for (int cut = 1; cut < bytes.length; cut++) {
			for (int secondCut = cut; secondCut <= bytes.length; secondCut++) {
				List<String> parts = new ArrayList<>(readPart(bytes, 0, cut));
				parts.addAll(readPart(bytes, cut, secondCut));
				parts.addAll(readPart(bytes, secondCut, Long.MAX_VALUE));
				assertThat(parts).as("cut at %d and %d", cut, secondCut).isEqualTo(all);
			}
		}
	}

	/** The lines a part [start, end) reads: as ImportInputTasklet opens and ends one. */
	private static List<String> readPart(byte[] input, long start, long end) throws IOException {
		NdjsonLineReader reader;
		if (start == 0) {
			reader = new NdjsonLineReader(new ByteArrayInputStream(input), 100, 0, 0, true);
		} else {
			ByteArrayInputStream in = new ByteArrayInputStream(input, (int) start - 1, input.length);
			reader = new NdjsonLineReader(in, 100, 0, NdjsonLineReader.skipToLineStart(in, start), true);
		}
		List<String> lines = new ArrayList<>();
		for (NdjsonLineReader.Line line; reader.offset() < end && (line = reader.next()) != null; ) {
			lines.add(line.start() + ":" + line.text());
		}
		return lines;
	}
}
