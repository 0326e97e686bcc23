package hapibulk.storage;

import hapibulk.support.BulkErrors;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of encrypted local files: {@code hapi.bulk.storage.encryption-key} writes new files, and it and each of
 * {@code encryption-old-keys} read them. A file names its key by an id derived from the key itself (the first 8
 * bytes of a SHA-256 over the key, hex): nothing to configure, and it tells nothing usable about the key.
 */
public final class EncryptionKeys {

	/** One key and its id. */
	public record Key(String id, SecretKey secret) {}

	private static final byte[] ID_CONTEXT = "hapi-bulk storage key id\0".getBytes(StandardCharsets.US_ASCII);

	private final Key current;
	private final Map<String, Key> byId = new LinkedHashMap<>();

	private EncryptionKeys(SecretKey current, List<SecretKey> old) {
		this.current = new Key(id(current), current);
		byId.put(this.current.id(), this.current);
		for (SecretKey key : old) {
			byId.putIfAbsent(id(key), new Key(id(key), key));
		}
	}

	/** Only this key, for writing and reading. */
	public static EncryptionKeys of(SecretKey current) {
		return new EncryptionKeys(current, List.of());
	}

	/** @param oldKeys base64 keys files may have been written with; null or empty: none */
	public static EncryptionKeys of(String currentKey, List<String> oldKeys) {
		List<SecretKey> old = new ArrayList<>();
		if (oldKeys != null) {
			for (String key : oldKeys) {
				old.add(parse(key, "an entry of hapi.bulk.storage.encryption-old-keys"));
			}
		}
		return new EncryptionKeys(parse(currentKey, "hapi.bulk.storage.encryption-key"), old);
	}

	/** A key from its base64 (32 bytes), or a start-up error naming the setting. */
	static SecretKey parse(String base64, String setting) {
		byte[] bytes;
		try {
			bytes = Base64.getDecoder().decode(base64 == null ? "" : base64.strip());
		} catch (IllegalArgumentException e) {
			bytes = new byte[0];
		}
		if (bytes.length != 32) {
			throw new IllegalStateException(BulkErrors.code(670) + setting + " must be the base64 of a 256-bit (32-byte)"
					+ " key, e.g. from: openssl rand -base64 32");
		}
		return new SecretKeySpec(bytes, "AES");
	}

	static String id(SecretKey key) {
		try {
			MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
			sha256.update(ID_CONTEXT);
			byte[] digest = sha256.digest(key.getEncoded());
			return HexFormat.of().formatHex(digest, 0, 8);
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	/** The key new files are written with. */
	public Key current() {
		return current;
	}

	public Optional<Key> find(String id) {
		return Optional.ofNullable(byId.get(id));
	}

	/** Every key, the current one first: what a file without a key id (written before ids) is tried with. */
	public List<Key> all() {
		return List.copyOf(byId.values());
	}
}
