package hapibulk.server;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;
import java.util.stream.StreamSupport;

/**
 * Labels that tell a scraper more about the machine than its figures need: the disk-space meters carry the
 * server's working directory ({@code disk_free_bytes{path="/srv/..."}}), the start-up time meters its main class.
 * Both labels are dropped; the figures stay (one working directory, so nothing collides).
 */
@Configuration(proxyBeanMethods = false)
public class ManagementMeterFilters {

	@Bean
	public MeterFilter hapiSampleNoPathLabels() {
		return new MeterFilter() {
			@Override
			public Meter.Id map(Meter.Id id) {
				if (id.getName().startsWith("disk.")) {
					return without(id, "path");
				}
				if (id.getName().startsWith("application.")) {
					return without(id, "main.application.class");
				}
				return id;
			}
		};
	}

	private static Meter.Id without(Meter.Id id, String key) {
		List<Tag> kept = StreamSupport.stream(id.getTagsAsIterable().spliterator(), false)
				.filter(tag -> !tag.getKey().equals(key)).toList();
		return id.replaceTags(kept);
	}
}
