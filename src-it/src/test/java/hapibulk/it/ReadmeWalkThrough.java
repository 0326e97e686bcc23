package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.it.ReadmeCommands.Command;
import hapibulk.it.ReadmeCommands.Curl;
import hapibulk.it.ReadmeCommands.Echo;
import hapibulk.it.ReadmeCommands.JavaJar;
import hapibulk.it.ReadmeCommands.Mkdir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README.md's "A walk-through with curl", run as a new user at the repository root runs it: its commands parsed
 * from the README ({@link ReadmeCommands}), sent over HTTP in order to a started sample WAR, each answer checked
 * against what the README says of it. A {@code 3f0c...} in a URL is the job id of the last kick-off.
 */
final class ReadmeWalkThrough {

	static final Path README = Path.of("../README.md");
	static final String SECTION = "## A walk-through with curl";
	/** The README's server: the two commands' default port. */
	private static final String README_ORIGIN = "http://localhost:8080";
	private static final Pattern PLACEHOLDER = Pattern.compile("job=[0-9a-f]{4}\\.\\.\\.");
	private static final Pattern READY_LINE = Pattern.compile("hapi-bulk sample server ready: .*");

	private final FhirHttp server;
	private final String origin;
	private final Path shellDirectory;
	private final HttpClient client = HttpClient.newHttpClient();
	private String kickOffUrl;
	private String statusUrl;
	private JsonNode manifest;

	/** @param shellDirectory the user's working directory, which is also the server's (README's repository root) */
	ReadmeWalkThrough(FhirHttp server, Path shellDirectory) {
		this.server = server;
		this.origin = URI.create(server.base()).resolve("/").toString().replaceAll("/$", "");
		this.shellDirectory = shellDirectory.toAbsolutePath();
	}

	/** The arguments the walk-through adds to the two commands' {@code java -jar} (the import directory). */
	static List<String> serverArguments(Path shellDirectory) {
		List<String> arguments = new ArrayList<>();
		for (Command command : commands(shellDirectory.toAbsolutePath())) {
			if (command instanceof JavaJar start) {
				assertThat(start.war()).as("the WAR the two commands build").isEqualTo(
						"hapi-bulk-starter-war/target/hapi-bulk-starter.war");
				arguments.addAll(start.arguments());
			}
		}
		return arguments;
	}

	/** Runs every command in order (the server was started with {@link #serverArguments}). */
	void run() throws IOException, InterruptedException {
		List<Command> commands = commands(shellDirectory);
		assertThat(commands).filteredOn(Curl.class::isInstance).hasSizeGreaterThanOrEqualTo(10);
		for (Command command : commands) {
			if (command instanceof Mkdir mkdir) {
				Files.createDirectories(shellDirectory.resolve(mkdir.directory()));
			} else if (command instanceof Echo echo) {
				Files.writeString(shellDirectory.resolve(echo.file()), echo.text() + "\n");
			} else if (command instanceof Curl curl) {
				run(curl);
			} // a JavaJar: see serverArguments
		}
	}

	/** The README's start-up line, at this server's port, is in the server's log. */
	void assertLogged(Path serverLog) throws IOException {
		String readme = ReadmeCommands.section(README, SECTION).stream().map(READY_LINE::matcher)
				.filter(Matcher::find).findFirst().orElseThrow().group();
		assertThat(Files.readString(serverLog)).contains(readme.replace(README_ORIGIN, origin));
	}

	private static List<Command> commands(Path shellDirectory) {
		return ReadmeCommands.of(README, SECTION, Map.of("PWD", shellDirectory.toString()));
	}

	private void run(Curl curl) throws IOException, InterruptedException {
		String url = curl.url().replace(README_ORIGIN, origin);
		if (PLACEHOLDER.matcher(url).find()) {
			assertThat(statusUrl).as("a kick-off before " + curl.url()).isNotNull();
			url = PLACEHOLDER.matcher(url).replaceAll("job=" + statusUrl.substring(statusUrl.indexOf("job=") + 4));
		}
		HttpResponse<String> response = send(curl, url);
		String what = curl.method() + " " + url + " answered " + response.body();
		if (curl.headers().contains("Prefer: respond-async")) {
			assertThat(response.statusCode()).as(what).isEqualTo(202);
			kickOffUrl = url;
			statusUrl = response.headers().firstValue("Content-Location").orElseThrow();
			assertThat(statusUrl).startsWith(server.base() + "/$bulk-status?job=");
		} else if (curl.method().equals("PUT")) {
			assertThat(response.statusCode()).as(what).isIn(200, 201);
		} else if (url.contains("/$bulk-status") && curl.method().equals("GET")) {
			manifest = awaitManifest(curl, url, response);
		} else if (url.contains("/$bulk-status") && curl.method().equals("DELETE")) {
			assertThat(response.statusCode()).as(what).isEqualTo(202);
			assertThat(server.get(url).statusCode()).as("the deleted job's status").isEqualTo(404);
		} else if (url.contains("/$bulk-file")) {
			assertThat(response.statusCode()).as(what).isEqualTo(200);
			assertThat(manifest.get("output").findValuesAsText("url")).as("the manifest lists it").contains(url);
			assertThat(response.body().lines().map(FhirHttp::parse).map(line -> line.get("resourceType").asText()
					+ "/" + line.get("id").asText())).as("the file the README downloads").contains("Patient/p1");
		} else {
			assertThat(response.statusCode()).as(what).isEqualTo(200);
		}
	}

	/** Polls as the README says (again after Retry-After) until 200, and checks the manifest the README shows. */
	private JsonNode awaitManifest(Curl curl, String url, HttpResponse<String> response) throws IOException,
			InterruptedException {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
		while (response.statusCode() != 200) {
			assertThat(response.statusCode()).as(response.body()).isIn(202, 429);
			assertThat(Instant.now()).as("the job of " + kickOffUrl + " done").isBefore(deadline);
			Thread.sleep(1000 * Long.parseLong(response.headers().firstValue("Retry-After").orElse("1")));
			response = send(curl, url);
		}
		JsonNode done = FhirHttp.json(response);
		assertThat(done.get("error")).as(response.body()).isEmpty();
		if (kickOffUrl.contains("/$import")) {
			assertThat(done.get("request").asText()).isEqualTo(server.base() + "/$import");
			assertThat(done.get("output")).as(response.body()).singleElement().satisfies(output -> {
				assertThat(output.get("type").asText()).isEqualTo("Patient");
				assertThat(output.get("count").asInt()).isEqualTo(1);
			});
		} else {
			assertThat(done.get("request").asText()).isEqualTo(kickOffUrl);
			assertThat(done.get("output").findValuesAsText("type")).contains("Patient");
		}
		return done;
	}

	/** The request curl sends: its default Accept and, for a -d body, its default Content-Type, unless given. */
	private HttpResponse<String> send(Curl curl, String url) throws IOException, InterruptedException {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1))
				.method(curl.method(), curl.body() == null ? HttpRequest.BodyPublishers.noBody()
						: HttpRequest.BodyPublishers.ofString(curl.body()));
		List<String> names = new ArrayList<>();
		for (String header : curl.headers()) {
			String name = header.substring(0, header.indexOf(':')).strip();
			request.header(name, header.substring(header.indexOf(':') + 1).strip());
			names.add(name.toLowerCase());
		}
		if (!names.contains("accept")) {
			request.header("Accept", "*/*");
		}
		if (curl.body() != null && !names.contains("content-type")) {
			request.header("Content-Type", "application/x-www-form-urlencoded");
		}
		return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}
}
