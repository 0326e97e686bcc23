package hapibulk.imports;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Sources an import may read on behalf of someone other than its client: a {@code $bulk-submit} submitter,
 * whose files lie under the base URLs the operator registered for it and are fetched with a token the
 * server gets for that registration. An import names the grant by a short key kept with the job
 * ({@link ImportRequest#sourceAccess()}), never a secret: the token is asked for when an input is opened, so a
 * restarted job gets a fresh one. An import without a key reads only {@code hapi.bulk.import.*} sources.
 */
public interface SourceAccess {

	/** No grants: every key is unknown. */
	SourceAccess NONE = new SourceAccess() {
		@Override
		public boolean allows(String key, URI url) {
			return false;
		}

		@Override
		public Optional<String> authorization(String key, URI url) {
			return Optional.empty();
		}
	};

	/** Whether the (normalized) URL may be read under the grant {@code key}. */
	boolean allows(String key, URI url);

	/** The {@code Authorization} header to send for the URL under the grant, if any. */
	Optional<String> authorization(String key, URI url) throws IOException;
}
