package hapibulk.export;

/** Where an export was kicked off: the whole server, all patients, or one group. */
public enum ExportLevel {
	SYSTEM
}
