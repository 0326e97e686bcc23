package hapibulk.deid;

import hapibulk.support.BulkErrors;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One profile's keys, checked at start-up, and what is computed with them. JDK crypto only:
 * <ul>
 * <li>cryptoHash: HMAC-SHA256 of the UTF-8 value, lower-case hex (64 characters, a valid FHIR id), as the
 * anonymizer specifies;</li>
 * <li>dateShift: a whole number of days in [-50, 50] from the HMAC-SHA256 of the scope's prefix under the
 * date-shift key (the anonymizer hashes prefix + key with a hash of its own; the range is the same);</li>
 * <li>encrypt: AES-CBC with PKCS#7 padding, base64 of IV + ciphertext, the anonymizer's format, so its
 * decryption reads ours; the IV is the HMAC of the value instead of random, so that an export is a pure
 * function of the data and the keys (a restarted part, or a second run, writes the same bytes);</li>
 * <li>perturb: its noise drawn from the HMAC of the resource, element and value under the crypto-hash key, for
 * the same reason.</li>
 * </ul>
 * The {@link #id()} names the keys in job rows and manifests without revealing them.
 */
public final class DeidKeys {

	static final int MIN_KEY_LENGTH = 16;
	private static final int DATE_SHIFT_RANGE = 50;
	private static final int PSEUDONYMS = 1024;
	private static final HexFormat HEX = HexFormat.of();

	private final byte[] cryptoHashKey;
	private final byte[] dateShiftKey;
	private final byte[] encryptKey;
	private final String id;

	private DeidKeys(byte[] cryptoHashKey, byte[] dateShiftKey, byte[] encryptKey) {
		this.cryptoHashKey = cryptoHashKey;
		this.dateShiftKey = dateShiftKey;
		this.encryptKey = encryptKey;
		this.id = fingerprint(cryptoHashKey, dateShiftKey, encryptKey);
	}

	/** The keys of {@code profile}, refused at start-up when one is too short for its purpose. */
	static DeidKeys of(String profile, DeidSettings.Keys keys) {
		return new DeidKeys(hmacKey(profile, "crypto-hash-key", keys.cryptoHashKey()),
				hmacKey(profile, "date-shift-key", keys.dateShiftKey()), aesKey(profile, keys.encryptKey()));
	}

	private static byte[] hmacKey(String profile, String setting, String value) {
		if (value == null || value.isEmpty()) {
			return null;
		}
		if (value.length() < MIN_KEY_LENGTH) {
			throw keyRefused(profile, setting, value.length() + " characters; at least " + MIN_KEY_LENGTH + " are needed"
					+ " (a short key lets pseudonyms be reversed by trying keys)");
		}
		return value.getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] aesKey(String profile, String value) {
		if (value == null || value.isEmpty()) {
			return null;
		}
		byte[] key = value.getBytes(StandardCharsets.UTF_8);
		if (key.length != 16 && key.length != 24 && key.length != 32) {
			throw keyRefused(profile, "encrypt-key", key.length + " bytes; AES needs exactly 16, 24 or 32");
		}
		return key;
	}

	private static IllegalStateException keyRefused(String profile, String setting, String problem) {
		return new IllegalStateException(BulkErrors.code(903) + "The " + setting + " of de-identification profile '"
				+ profile + "' has " + problem);
	}

	/** A short, one-way name of the keys: equal ids, equal pseudonyms (and the other way round, in practice). */
	public String id() {
		return id;
	}

	boolean has(KeyKind kind) {
		return switch (kind) {
			case CRYPTO_HASH -> cryptoHashKey != null;
			case DATE_SHIFT -> dateShiftKey != null;
			case ENCRYPT -> encryptKey != null;
		};
	}

	/** Which key a method needs. */
	enum KeyKind {
		CRYPTO_HASH("crypto-hash-key"), DATE_SHIFT("date-shift-key"), ENCRYPT("encrypt-key");

		final String setting;

		KeyKind(String setting) {
			this.setting = setting;
		}
	}

	/** What one thread computes with the keys (Mac and Cipher instances are not thread-safe). */
	Session session() {
		return new Session();
	}

	final class Session {
		private Mac hash;
		private Mac shift;
		private Mac iv;

		/**
		 * The last pseudonyms computed: a chunk's resources point at the same patients and encounters again and
		 * again. Bounded, so memory stays flat; a pure function's cache, so restarts are unaffected.
		 */
		private final Map<String, String> pseudonyms = new LinkedHashMap<>(PSEUDONYMS * 2, 0.75f, true) {
			@Override
			protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
				return size() > PSEUDONYMS;
			}
		};

		/** cryptoHash: HMAC-SHA256, lower-case hex. */
		String cryptoHash(String value) {
			String known = pseudonyms.get(value);
			if (known != null) {
				return known;
			}
			if (hash == null) {
				hash = mac(cryptoHashKey);
			}
			String computed = HEX.formatHex(hash.doFinal(value.getBytes(StandardCharsets.UTF_8)));
			pseudonyms.put(value, computed);
			return computed;
		}

		/** The dateShift offset of a scope, in days, in [-50, 50]. */
		int dateShiftDays(String prefix) {
			if (shift == null) {
				shift = mac(dateShiftKey);
			}
			byte[] digest = shift.doFinal(prefix.getBytes(StandardCharsets.UTF_8));
			long unsigned = ((digest[0] & 0xffL) << 24) | ((digest[1] & 0xffL) << 16) | ((digest[2] & 0xffL) << 8)
					| (digest[3] & 0xffL);
			return (int) (unsigned % (2 * DATE_SHIFT_RANGE + 1)) - DATE_SHIFT_RANGE;
		}

		/** A number in [0, 1) that the crypto-hash key and {@code material} fix (perturb's noise). */
		double unit(String material) {
			if (hash == null) {
				hash = mac(cryptoHashKey);
			}
			byte[] digest = hash.doFinal(("perturb:" + material).getBytes(StandardCharsets.UTF_8));
			long bits = 0;
			for (int i = 0; i < 7; i++) {
				bits = (bits << 8) | (digest[i] & 0xffL);
			}
			return (bits >>> 3) / (double) (1L << 53);
		}

		/** encrypt: base64 of IV + AES-CBC/PKCS#7 ciphertext, the IV derived from the value (see the class). */
		String encrypt(String value) {
			try {
				if (iv == null) {
					iv = mac(encryptKey);
				}
				byte[] plain = value.getBytes(StandardCharsets.UTF_8);
				byte[] vector = Arrays.copyOf(iv.doFinal(plain), 16);
				Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
				cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encryptKey, "AES"), new IvParameterSpec(vector));
				byte[] encrypted = cipher.doFinal(plain);
				byte[] result = new byte[vector.length + encrypted.length];
				System.arraycopy(vector, 0, result, 0, vector.length);
				System.arraycopy(encrypted, 0, result, vector.length, encrypted.length);
				return Base64.getEncoder().encodeToString(result);
			} catch (GeneralSecurityException e) {
				throw new IllegalStateException("AES is not available", e);
			}
		}
	}

	private static Mac mac(byte[] key) {
		try {
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(key, "HmacSHA256"));
			return mac;
		} catch (GeneralSecurityException e) {
			throw new IllegalStateException("HmacSHA256 is not available", e);
		}
	}

	private static String fingerprint(byte[]... keys) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			digest.update("hapi-bulk deid keys".getBytes(StandardCharsets.UTF_8));
			for (byte[] key : keys) {
				digest.update((byte) 0);
				if (key != null) {
					digest.update(key);
				}
			}
			return HexFormat.of().formatHex(digest.digest(), 0, 8);
		} catch (GeneralSecurityException e) {
			throw new IllegalStateException(e);
		}
	}
}
