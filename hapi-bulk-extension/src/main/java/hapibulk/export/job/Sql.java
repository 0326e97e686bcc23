package hapibulk.export.job;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A WHERE clause and its arguments, in order. */
record Sql(String sql, List<Object> args) {

	Sql(String sql, Object... args) {
		this(sql, List.of(args));
	}

	Sql and(String condition, Object... more) {
		List<Object> all = new ArrayList<>(args);
		all.addAll(List.of(more));
		return new Sql(sql + " AND " + condition, all);
	}

	/** The arguments followed by {@code last}. */
	Object[] argsAnd(Object last) {
		List<Object> all = new ArrayList<>(args);
		all.add(last);
		return all.toArray();
	}

	static String placeholders(int count) {
		return String.join(",", Collections.nCopies(count, "?"));
	}

	static PreparedStatement prepare(PreparedStatement statement, List<Object> args, int maxRows) throws SQLException {
		statement.setFetchSize(Math.min(maxRows, 500));
		for (int i = 0; i < args.size(); i++) {
			statement.setObject(i + 1, args.get(i));
		}
		return statement;
	}
}
