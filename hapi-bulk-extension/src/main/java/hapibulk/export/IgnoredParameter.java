package hapibulk.export;

import com.fasterxml.jackson.annotation.JsonCreator;
import hapibulk.support.BulkErrors;

/**
 * A parameter (or one value of it) that a kick-off under {@code Prefer: handling=lenient} ignored
 * instead of refusing; the manifest's error file holds one OperationOutcome per ignored parameter,
 * naming it, as the IG asks.
 *
 * @param parameter the parameter's name ({@code _typeFilter}, {@code patient}, ...)
 * @param reason    why it was ignored, with its error code; null for a parameter the server does not support
 */
public record IgnoredParameter(String parameter, String reason) {

	@JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
	public IgnoredParameter {
	}

	/** Rows written before reasons were kept hold the bare names of unsupported parameters. */
	@JsonCreator(mode = JsonCreator.Mode.DELEGATING)
	static IgnoredParameter named(String parameter) {
		return unsupported(parameter);
	}

	/** A parameter this server does not support at all. */
	public static IgnoredParameter unsupported(String parameter) {
		return new IgnoredParameter(parameter, null);
	}

	/** The diagnostics of its OperationOutcome in the error file. */
	public String diagnostics() {
		return reason == null
				? BulkErrors.code(120) + "The parameter '" + parameter + "' is not supported and was ignored"
						+ " (Prefer: handling=lenient)"
				: reason + " (ignored under Prefer: handling=lenient)";
	}
}
