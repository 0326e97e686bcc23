package hapibulk.support;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Holds the main sources, {@link BulkErrorRegister} and docs/errors.md to one another. A code is given
 * out where the sources write {@code BulkErrors.code(N)}, or hand the number to a helper that does
 * ({@code forbidden(N, ...)}, {@code unauthorized(N, ...)}, an enum constant {@code NAME(N, "...")} in a
 * class that uses BulkErrors). A new helper that takes a code belongs in {@link #GIVEN_OUT}.
 */
class BulkErrorRegisterTest {

	private static final List<Pattern> GIVEN_OUT = List.of(
			Pattern.compile("BulkErrors\\.code\\((\\d+)\\)"),
			Pattern.compile("\\b(?:forbidden|unauthorized)\\((\\d+),"));
	/** Only in classes that use BulkErrors: other enums may well take a number and a text. */
	private static final Pattern ENUM_CONSTANT = Pattern.compile("(?m)^\\s*[A-Z][A-Z_]*\\((\\d{3}), \"");

	private static final Path MAIN_SOURCES = Path.of("src", "main", "java");
	private static final Path ERRORS_DOC = Path.of("..", "docs", "errors.md");

	/** Code → the places (file:line) that give it out. */
	private static Map<Integer, List<String>> places;

	@BeforeAll
	static void scanMainSources() throws IOException {
		places = new TreeMap<>();
		try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
			for (Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
				String text = Files.readString(file);
				if (file.endsWith("BulkErrors.java") || file.endsWith("BulkErrorRegister.java")) {
					continue;
				}
				List<Pattern> patterns = new ArrayList<>(GIVEN_OUT);
				if (text.contains("BulkErrors")) {
					patterns.add(ENUM_CONSTANT);
				}
				for (Pattern pattern : patterns) {
					Matcher matcher = pattern.matcher(text);
					while (matcher.find()) {
						int line = (int) text.substring(0, matcher.start()).lines().count();
						places.computeIfAbsent(Integer.parseInt(matcher.group(1)), code -> new ArrayList<>())
								.add(MAIN_SOURCES.relativize(file) + ":" + line);
					}
				}
			}
		}
	}

	@Test
	void scan_findsTheCodesOfEveryKindOfCallSite() {
		// given the main sources, scanned once
		// then each way of giving out a code was found: BulkErrors.code, forbidden, unauthorized, an enum constant
		assertThat(places).containsKeys(101, 343, 320, 240);
	}

	@Test
	void everyCodeGivenOut_isRegisteredAndNotRetired() {
		// given the codes the main sources give out
		// when each is looked up in the register
		Map<Integer, List<String>> unregistered = new TreeMap<>(places);
		unregistered.keySet().removeIf(code -> BulkErrorRegister.find(code).filter(entry -> !entry.retired()).isPresent());

		// then none is missing or retired
		assertThat(unregistered).as("codes given out but not registered, or retired (add them to BulkErrorRegister)")
				.isEmpty();
	}

	@Test
	void everyRegisteredCode_isGivenOut_unlessRetired() {
		// given the register's codes in use
		Set<Integer> unused = BulkErrorRegister.entries().values().stream()
				.filter(entry -> !entry.retired())
				.map(BulkErrorRegister.Entry::code)
				.filter(code -> !places.containsKey(code))
				.collect(Collectors.toCollection(TreeSet::new));

		// then the sources give out each of them
		assertThat(unused).as("registered codes no source gives out (retire them: codes are never reused)").isEmpty();
	}

	@Test
	void everyCode_isGivenOutInExactlyOnePlace() {
		// given where each code is given out
		Map<Integer, List<String>> repeated = new TreeMap<>(places);
		repeated.values().removeIf(where -> where.size() == 1);

		// then no code is given out in two places (one helper method per code when several paths need it)
		assertThat(repeated).as("codes given out in more than one place").isEmpty();
	}

	@Test
	void register_hasAStatusMeaningAndAction_forEveryCode() {
		// given every entry
		for (BulkErrorRegister.Entry entry : BulkErrorRegister.entries().values()) {
			// then it says enough to act on
			assertThat(entry.status()).as("BULK-%04d status", entry.code())
					.matches(status -> status == BulkErrorRegister.NO_STATUS || (status >= 400 && status < 600));
			assertThat(entry.meaning()).as("BULK-%04d meaning", entry.code()).isNotBlank().doesNotContain("|");
			assertThat(entry.action()).as("BULK-%04d action", entry.code()).isNotBlank().doesNotContain("|");
		}
	}

	@Test
	void errorsDocumentTable_isTheRegister() throws IOException {
		// given the table of docs/errors.md and the rows the register makes
		List<String> documented = Files.readAllLines(ERRORS_DOC).stream()
				.filter(line -> line.startsWith("| BULK-"))
				.map(String::strip)
				.toList();
		List<String> expected = BulkErrorRegister.entries().values().stream().map(BulkErrorRegisterTest::row).toList();

		// when they are compared
		List<String> missingOrDifferent = expected.stream().filter(row -> !documented.contains(row)).toList();
		List<String> notInRegister = documented.stream().filter(row -> !expected.contains(row)).toList();

		// then they hold the same rows, in the register's order
		assertThat(missingOrDifferent).as("rows docs/errors.md should have (the register's)").isEmpty();
		assertThat(notInRegister).as("rows of docs/errors.md the register does not make").isEmpty();
		assertThat(documented).as("docs/errors.md in the register's order").isEqualTo(expected);
	}

	/** One row of docs/errors.md's table. */
	static String row(BulkErrorRegister.Entry entry) {
		String status = entry.status() == BulkErrorRegister.NO_STATUS ? "–" : Integer.toString(entry.status());
		String meaning = entry.retired() ? "*Retired.* " + entry.meaning() : entry.meaning();
		return "| " + String.format("BULK-%04d", entry.code()) + " | " + status + " | " + meaning + " | "
				+ entry.action() + " |";
	}
}
