package hapibulk.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The shell commands of one README section, read as {@code sh} reads them: the {@code ```sh} blocks, cut into
 * commands (continued lines, quotes across lines, comments, pipes, a {@code >} redirection), each word unquoted and
 * its {@code $NAME}s expanded ({@code NAME=value} lines set them). Only the commands a walk-through uses are
 * understood; any other word or option fails, so that a README edit cannot slip past the test that runs them.
 */
final class ReadmeCommands {

	sealed interface Command {}

	/** @param headers "Name: value", as given to -H */
	record Curl(String method, String url, List<String> headers, String body) implements Command {}

	record Echo(String text, String file) implements Command {}

	record Mkdir(String directory) implements Command {}

	record JavaJar(String war, List<String> arguments) implements Command {}

	/** Operators, told apart from quoted words that read the same. */
	private static final String PIPE = "\0|";
	private static final String REDIRECT = "\0>";

	private final String text;
	private final Map<String, String> variables;
	private int at;

	private ReadmeCommands(String text, Map<String, String> variables) {
		this.text = text;
		this.variables = variables;
	}

	/** The commands of the section under {@code heading} (a whole "## ..." line), in order. */
	static List<Command> of(Path readme, String heading, Map<String, String> environment) {
		Map<String, String> variables = new HashMap<>(environment);
		List<Command> commands = new ArrayList<>();
		for (String block : shBlocks(section(readme, heading))) {
			ReadmeCommands reader = new ReadmeCommands(block, variables);
			for (List<String> tokens = reader.next(); tokens != null; tokens = reader.next()) {
				reader.command(tokens, commands);
			}
		}
		return commands;
	}

	/** The lines from {@code heading} to the next heading of the same level. */
	static List<String> section(Path readme, String heading) {
		List<String> lines;
		try {
			lines = Files.readAllLines(readme);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		int start = lines.indexOf(heading);
		if (start < 0) {
			throw new IllegalStateException(readme + " has no section " + heading);
		}
		int end = start + 1;
		while (end < lines.size() && !lines.get(end).startsWith("## ")) {
			end++;
		}
		return lines.subList(start + 1, end);
	}

	private static List<String> shBlocks(List<String> lines) {
		List<String> blocks = new ArrayList<>();
		StringBuilder block = null;
		for (String line : lines) {
			if (block == null && line.strip().equals("```sh")) {
				block = new StringBuilder();
			} else if (block != null && line.strip().equals("```")) {
				blocks.add(block.toString());
				block = null;
			} else if (block != null) {
				block.append(line).append('\n');
			}
		}
		return blocks;
	}

	/** The next command's words and operators, or null at the end of the block. */
	private List<String> next() {
		List<String> tokens = new ArrayList<>();
		StringBuilder word = null;
		while (at < text.length()) {
			char c = text.charAt(at++);
			switch (c) {
				case '\'' -> {
					int end = text.indexOf('\'', at);
					if (end < 0) {
						throw new IllegalStateException("Unclosed ' in README: " + text.substring(at - 1));
					}
					word = started(word).append(text, at, end);
					at = end + 1;
				}
				case '"' -> word = doubleQuoted(started(word));
				case '\\' -> {
					char escaped = text.charAt(at++);
					if (escaped != '\n') {
						word = started(word).append(escaped);
					}
				}
				case '$' -> word = started(word).append(variable());
				case ' ', '\t' -> word = flush(tokens, word);
				case '\n' -> {
					word = flush(tokens, word);
					if (!tokens.isEmpty()) {
						return tokens;
					}
				}
				case '|', '>' -> {
					word = flush(tokens, word);
					tokens.add(c == '|' ? PIPE : REDIRECT);
				}
				case ';', '&', '<', '`', '(', ')' -> throw new IllegalStateException(
						"The README walk-through uses '" + c + "', which this reader does not run: " + tokens);
				default -> {
					if (c == '#' && word == null) {
						int end = text.indexOf('\n', at);
						at = end < 0 ? text.length() : end;
					} else {
						word = started(word).append(c);
					}
				}
			}
		}
		flush(tokens, word);
		return tokens.isEmpty() ? null : tokens;
	}

	private StringBuilder doubleQuoted(StringBuilder word) {
		while (true) {
			char c = text.charAt(at++);
			if (c == '"') {
				return word;
			} else if (c == '\\' && "$\"\\`\n".indexOf(text.charAt(at)) >= 0) {
				char escaped = text.charAt(at++);
				if (escaped != '\n') {
					word.append(escaped);
				}
			} else if (c == '$') {
				word.append(variable());
			} else if (c == '`') {
				throw new IllegalStateException("The README walk-through uses a command substitution");
			} else {
				word.append(c);
			}
		}
	}

	private String variable() {
		int start = at;
		boolean braced = text.charAt(at) == '{';
		if (braced) {
			at = text.indexOf('}', at) + 1;
		} else {
			while (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '_')) {
				at++;
			}
		}
		String name = braced ? text.substring(start + 1, at - 1) : text.substring(start, at);
		if (name.isEmpty()) {
			return "$";
		}
		String value = variables.get(name);
		if (value == null) {
			throw new IllegalStateException("The README walk-through uses $" + name + ", which it never sets");
		}
		return value;
	}

	private void command(List<String> tokens, List<Command> commands) {
		int pipe = tokens.indexOf(PIPE);
		List<String> words = new ArrayList<>(pipe < 0 ? tokens : tokens.subList(0, pipe));
		// What follows a pipe only filters what the user sees (grep, head): the test checks the answers themselves.
		for (int i = pipe; i >= 0 && i < tokens.size(); i++) {
			if (tokens.get(i).equals(PIPE) && !List.of("grep", "head").contains(tokens.get(i + 1))) {
				throw new IllegalStateException("The README walk-through pipes into " + tokens.get(i + 1) + ": " + tokens);
			}
		}
		String redirect = null;
		int redirection = words.indexOf(REDIRECT);
		if (redirection >= 0) {
			redirect = words.get(redirection + 1);
			words.subList(redirection, redirection + 2).clear();
		}
		String program = words.get(0);
		if (words.size() == 1 && program.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
			variables.put(program.substring(0, program.indexOf('=')), program.substring(program.indexOf('=') + 1));
			return;
		}
		if (redirect != null && !program.equals("echo")) {
			throw new IllegalStateException("Only echo's output is redirected in this reader: " + tokens);
		}
		commands.add(switch (program) {
			case "curl" -> curl(words);
			case "echo" -> new Echo(String.join(" ", words.subList(1, words.size())), redirect);
			case "mkdir" -> new Mkdir(words.get(words.size() - 1));
			case "java" -> new JavaJar(words.get(words.indexOf("-jar") + 1),
					List.copyOf(words.subList(words.indexOf("-jar") + 2, words.size())));
			default -> throw new IllegalStateException("The README walk-through runs " + program + ": " + words);
		});
	}

	private static Curl curl(List<String> words) {
		String method = null;
		String url = null;
		String body = null;
		List<String> headers = new ArrayList<>();
		for (int i = 1; i < words.size(); i++) {
			String word = words.get(i);
			switch (word) {
				case "-X", "--request" -> method = words.get(++i);
				case "-H", "--header" -> headers.add(words.get(++i));
				case "-d", "--data", "--data-raw" -> body = words.get(++i);
				default -> {
					if (word.matches("-[si]+")) {
						continue; // silent, show the headers: what the user sees only
					}
					if (word.startsWith("-") || url != null) {
						throw new IllegalStateException("A curl option this reader does not know: " + word + " in " + words);
					}
					url = word;
				}
			}
		}
		return new Curl(method != null ? method : body != null ? "POST" : "GET", url, List.copyOf(headers), body);
	}

	private static StringBuilder started(StringBuilder word) {
		return word != null ? word : new StringBuilder();
	}

	private static StringBuilder flush(List<String> tokens, StringBuilder word) {
		if (word != null) {
			tokens.add(word.toString());
		}
		return null;
	}
}
