package hapibulk.storage;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DigestCheckedInputStreamTest {

	private static final byte[] FILE = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n".getBytes(StandardCharsets.UTF_8);

	@Test
	void aFileMatchingItsDigest_passesWhole_howeverItIsRead() throws Exception {
		assertThat(checked(FILE, sha256(FILE)).readAllBytes()).isEqualTo(FILE);
		ByteArrayOutputStream oneByOne = new ByteArrayOutputStream();
		try (InputStream in = checked(FILE, sha256(FILE))) {
			for (int b = in.read(); b >= 0; b = in.read()) {
				oneByOne.write(b);
			}
		}
		assertThat(oneByOne.toByteArray()).isEqualTo(FILE);
		assertThat(checked(new byte[0], sha256(new byte[0])).readAllBytes()).isEmpty();
	}

	@Test
	void aChangedFile_failsAtItsEnd_beforeItsLastByteIsGiven() throws Exception {
		// given: one byte changed, the length the same
		byte[] changed = FILE.clone();
		changed[3] = 'X';
		ByteArrayOutputStream sent = new ByteArrayOutputStream();

		// when / then
		assertThatThrownBy(() -> checked(changed, sha256(FILE)).transferTo(sent)).isInstanceOf(IOException.class)
				.hasMessageContaining("BULK-0680");
		assertThat(sent.size()).isEqualTo(FILE.length - 1);
	}

	private static InputStream checked(byte[] bytes, String sha256) {
		return new DigestCheckedInputStream(new ByteArrayInputStream(bytes), sha256, "File x of job y");
	}

	private static String sha256(byte[] bytes) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
	}
}
