package hapibulk.submit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.imports.ImportRequest;
import hapibulk.imports.SourceUrls;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a provider's manifest (and its pages, through {@code link} {@code next}) at submission time, so that what
 * is wrong with it is the submitter's 4xx now, not a failed job later: every URL in it must lie under the base the
 * submission names, every output must name a resource type of this server.
 */
class ManifestReader {

	/** What a manifest asks to load. */
	record ProviderManifest(boolean requiresAccessToken, List<ImportRequest.Input> outputs, int deletedFiles) {}

	private final ProviderHttp http;
	private final ProviderTokens tokens;
	private final FhirContext fhirContext;
	private final int maxPages;

	ManifestReader(SubmitSettings settings, ProviderTokens tokens, FhirContext fhirContext) {
		this.http = new ProviderHttp(settings.timeout(), settings.maxManifestSize().toBytes());
		this.tokens = tokens;
		this.fhirContext = fhirContext;
		this.maxPages = settings.maxManifestPages();
	}

	ProviderManifest read(SubmitSettings.Submitter submitter, String base, String manifestUrl) {
		List<ImportRequest.Input> outputs = new ArrayList<>();
		boolean requiresAccessToken = false;
		int deleted = 0;
		String next = manifestUrl;
		for (int page = 1; next != null; page++) {
			if (page > maxPages) {
				throw unreadable(manifestUrl, "it has more than " + maxPages + " pages (hapi.bulk.submit.max-manifest-pages)");
			}
			JsonNode manifest = fetch(submitter, base, under(base, next, "manifest"));
			requiresAccessToken |= manifest.path("requiresAccessToken").asBoolean(false);
			if (!manifest.path("output").isArray()) {
				throw unreadable(next, "it has no output array");
			}
			for (JsonNode output : manifest.path("output")) {
				String type = output.path("type").asText(null);
				String url = output.path("url").asText(null);
				if (url == null || type == null) {
					throw unreadable(next, "an output item lacks its type or url");
				}
				if (!fhirContext.getResourceTypes().contains(type)) {
					throw unreadable(next, "output type '" + type + "' is not a resource type of this server");
				}
				under(base, url, "file");
				outputs.add(new ImportRequest.Input(type, url));
			}
			for (JsonNode file : manifest.path("deleted")) {
				under(base, file.path("url").asText(""), "file");
				deleted++;
			}
			next = null;
			for (JsonNode link : manifest.path("link")) {
				if ("next".equals(link.path("relation").asText())) {
					next = link.path("url").asText(null);
				}
			}
		}
		return new ProviderManifest(requiresAccessToken, outputs, deleted);
	}

	private JsonNode fetch(SubmitSettings.Submitter submitter, String base, URI url) {
		ProviderHttp.Answer answer;
		try {
			Optional<String> authorization = submitter.authenticates()
					? Optional.of("Bearer " + tokens.token(submitter, base)) : Optional.empty();
			answer = http.get(url, authorization);
		} catch (IOException e) {
			throw unreachable(url, e.getMessage());
		}
		if (answer.status() == 202) {
			throw new ResourceVersionConflictException(BulkErrors.code(939) + "The manifest " + url
					+ " is not complete yet (the provider answered 202): submit it once it is");
		}
		if (answer.status() != 200) {
			throw unreachable(url, "the provider answered HTTP " + answer.status());
		}
		try {
			JsonNode manifest = BulkJson.MAPPER.readTree(answer.body());
			if (manifest == null || !manifest.isObject()) {
				throw unreadable(url.toString(), "it is not a JSON object");
			}
			return manifest;
		} catch (IOException e) {
			throw unreadable(url.toString(), "it is not JSON");
		}
	}

	/** The normalized URL, if it lies under the submission's base; else 403 (or 400 for a malformed one). */
	static URI under(String base, String url, String what) {
		URI normalized = null;
		try {
			normalized = SourceUrls.normalize(url);
		} catch (BaseServerResponseException e) {
			// refused below, as a 400
		}
		if (normalized == null || !SourceUrls.under(normalized, base)) {
			String message = BulkErrors.code(941) + "The " + what + " URL " + url + (normalized == null
					? " is not a usable http(s) URL" : " is not under the submission's fhirBaseUrl " + base);
			throw normalized == null ? new InvalidRequestException(message) : new ForbiddenOperationException(message);
		}
		return normalized;
	}

	/** BULK-0938: the manifest could not be fetched. */
	private static InvalidRequestException unreachable(URI url, String why) {
		return new InvalidRequestException(BulkErrors.code(938) + "The manifest " + url + " cannot be read: " + why);
	}

	private static InvalidRequestException unreadable(String url, String why) {
		return new InvalidRequestException(BulkErrors.code(940) + "The manifest " + url + " is not usable: " + why);
	}
}
