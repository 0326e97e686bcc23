package hapibulk.deid;

/** A rule could not be applied to an element it selected (the anonymizer's processing error). */
public class DeidProcessingException extends RuntimeException {

	public DeidProcessingException(String message, Throwable cause) {
		super(message, cause);
	}
}
