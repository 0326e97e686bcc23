package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The operators' job page in a real browser (Debian's headless chromium, driven through its chromedriver),
 * against the packaged WAR with the page on: the Synthea data imported, an export queued behind it (one job at
 * a time) and cancelled with the page's button, then an export of the imported data. Checks what a person sees:
 * the rows, their states, progress reaching 100 % with the counts of the manifests, and the cancel. Leaves a
 * screenshot at {@code target/admin-page.png}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminPageIT {

	private static final File CHROMIUM = new File("/usr/bin/chromium");
	private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

	private final int port = WarProcess.freePort();
	private Path workDir;
	private NdjsonFileServer files;
	private ItDatabase database;
	private WarProcess server;
	private WebDriver browser;

	@BeforeAll
	void start() throws Exception {
		assumeTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(), "AdminPageIT skipped: no /usr/bin/chromium and"
				+ " /usr/bin/chromedriver here (apt-get install chromium chromium-driver; .ci/run installs them)");
		workDir = Files.createTempDirectory(Path.of("target"), "admin-page-it-");
		files = NdjsonFileServer.start(Files.createDirectories(workDir.resolve("served")));
		database = ItDatabase.fresh(workDir);
		server = WarProcess.start(workDir, port, database, "--hapi.bulk.import.allowed-sources=" + files.url("allowed/"),
				"--hapi.bulk.retry-after=1s", "--hapi.bulk.concurrent-jobs=1", "--hapi.bulk.admin-page.enabled=true");
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM);
		options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
				"--window-size=1440,1000");
		// The Debian driver, named here, so that Selenium looks for nothing to download.
		browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).build(), options);
	}

	@AfterAll
	void stop() throws InterruptedException {
		if (browser != null) {
			browser.quit();
		}
		if (server != null) {
			server.close();
		}
		if (database != null) {
			database.drop().run();
		}
		if (files != null) {
			files.close();
		}
	}

	@Test
	void thePage_showsTheJobs_theirProgressTo100Percent_theirCounts_andCancelsAQueuedJob() throws Exception {
		// given: the Synthea import running, and an export queued behind it
		List<Map.Entry<String, String>> inputs = new ArrayList<>();
		long lines = 0;
		long patients = 0;
		Path datasetDir = Path.of(System.getProperty("hapibulk.datasets", "datasets")).resolve("synthea-10-patients");
		for (String type : SyntheaDataset.DEPENDENCY_ORDER) {
			Path target = files.directory().resolve("allowed/" + type + ".ndjson");
			Files.createDirectories(target.getParent());
			Files.copy(datasetDir.resolve(type + ".000.ndjson"), target);
			long count = Files.readAllLines(target).stream().filter(line -> !line.isBlank()).count();
			lines += count;
			patients += type.equals("Patient") ? count : 0;
			inputs.add(Map.entry(type, files.url("allowed/" + type + ".ndjson")));
		}
		BulkImportClient importer = new BulkImportClient(server.http());
		BulkExportClient exporter = new BulkExportClient(server.http());
		String importId = jobId(importer.kickOff(BulkImportClient.parameters(inputs)));
		String queuedId = jobId(exporter.kickOff("?_type=Patient"));

		// when: the operator opens the page and cancels the queued export
		browser.get("http://localhost:" + port + "/bulk-admin/");
		assertThat(browser.getTitle()).isEqualTo("Bulk jobs");
		String queuedState = await(Duration.ofSeconds(60), driver -> state(queuedId));
		assertThat(queuedState).isEqualToIgnoringCase("accepted");
		assertThat(rowText(importId, ".job")).contains("import");
		await(Duration.ofSeconds(30), driver -> {
			row(queuedId).findElement(By.cssSelector("button.cancel")).click();
			return true;
		});
		browser.switchTo().alert().accept();

		// then: it is shown cancelled, with no cancel button left
		await(Duration.ofSeconds(60), driver -> state(queuedId).equalsIgnoreCase("cancelled"));
		assertThat(row(queuedId).findElements(By.cssSelector("button.cancel"))).isEmpty();

		// and: the import reaches 100 %, every line counted, per type too
		await(Duration.ofMinutes(10), driver -> state(importId).equalsIgnoreCase("completed"));
		assertThat(rowText(importId, ".progress-text")).isEqualTo("100% · " + format(lines) + " of " + format(lines)
				+ " lines");
		assertThat(typeCount(importId, "Patient")).isEqualTo(format(patients) + " / " + format(patients));
		assertThat(rowText(importId, ".errors")).startsWith("0");

		// when: an export of what was imported
		String exportStatus = exporter.kickOff("?_type=" + String.join(",", SyntheaDataset.DEPENDENCY_ORDER));
		String exportId = jobId(exportStatus);
		JsonNode manifest = exporter.awaitManifest(exportStatus, Duration.ofMinutes(10));
		long exported = 0;
		for (JsonNode output : manifest.get("output")) {
			exported += output.get("count").asLong();
		}

		// then: the page shows it done with the manifest's counts (an idle page looks again within 15 s)
		await(Duration.ofSeconds(60), driver -> state(exportId).equalsIgnoreCase("completed"));
		assertThat(exported).isEqualTo(lines);
		assertThat(rowText(exportId, ".progress-text")).isEqualTo("100% · " + format(exported) + " of "
				+ format(exported) + " resources");
		assertThat(typeCount(exportId, "Patient")).isEqualTo(format(patients) + " / " + format(patients));
		assertThat(rowText(exportId, ".files")).startsWith(manifest.get("output").size() + " files");
		assertThat(rowText(exportId, ".job")).contains("export").contains("system");
		Path screenshot = Path.of("target", "admin-page.png");
		Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
				StandardCopyOption.REPLACE_EXISTING);
		System.out.println("[hapi-bulk-it] job page screenshot: " + screenshot.toAbsolutePath());
	}

	/** The state shown in a job's row; throws while the row is not (or no longer) there, for {@link #await} to retry. */
	private String state(String jobId) {
		return row(jobId).findElement(By.cssSelector(".state")).getText();
	}

	private String typeCount(String jobId, String type) {
		return await(Duration.ofSeconds(10), driver -> {
			List<WebElement> cells = row(jobId).findElements(By.cssSelector(".types > span"));
			for (int i = 0; i + 1 < cells.size(); i++) {
				if (cells.get(i).getText().equals(type) && cells.get(i).getAttribute("class").contains("type-name")) {
					return cells.get(i + 1).getText();
				}
			}
			throw new AssertionError("No progress of " + type + " in the row of " + jobId);
		});
	}

	private String rowText(String jobId, String selector) {
		return await(Duration.ofSeconds(10), driver -> row(jobId).findElement(By.cssSelector(selector)).getText());
	}

	private WebElement row(String jobId) {
		return browser.findElement(By.cssSelector("tr.job-row[data-job-id='" + jobId + "']"));
	}

	/** Waits for a condition, looking again when the page re-rendered the row meanwhile (it does at every poll). */
	private <T> T await(Duration timeout, Function<WebDriver, T> condition) {
		return new WebDriverWait(browser, timeout, Duration.ofMillis(250))
				.ignoring(StaleElementReferenceException.class)
				.ignoring(org.openqa.selenium.NoSuchElementException.class)
				.until(condition::apply);
	}

	private static String jobId(String statusUrl) {
		return statusUrl.substring(statusUrl.indexOf("job=") + 4);
	}

	private static String format(long number) {
		return String.format(Locale.ENGLISH, "%,d", number);
	}
}
