package hapibulk.export;

/** Where an export was kicked off: the whole server, patients (all, or listed), or one group. */
public enum ExportLevel {
	/** {@code [base]/$export}: every resource the server holds. */
	SYSTEM,
	/** {@code [base]/Patient/$export} and {@code [base]/Patient/[id]/$export}: the Patient compartment. */
	PATIENT,
	/** {@code [base]/Group/[id]/$export}: the Patient compartment of the group's members. */
	GROUP
}
