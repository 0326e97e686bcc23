package hapibulk.deid;

import ca.uhn.fhir.fhirpath.IFhirPath;
import ca.uhn.fhir.fhirpath.IFhirPath.IParsedExpression;
import hapibulk.deid.ResourceTree.Node;
import org.hl7.fhir.instance.model.api.IBase;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The path of a rule, compiled once: a union ({@code |}) of branches, each one of
 * <ul>
 * <li>{@code nodesByType('T')} or {@code nodesByName('n')}, optionally followed by {@code .expression}: the
 * anonymizer's two extension functions, answered from the {@link ResourceTree}'s index;</li>
 * <li>{@code Type.expression} or {@code Type} (a resource type, or {@code Resource} / {@code DomainResource} for
 * all): the expression on resources of that type;</li>
 * <li>any other FHIRPath expression, on every resource.</li>
 * </ul>
 * Expressions are parsed and run by HAPI's FHIRPath engine ({@code FhirContext.newFhirPath()}); a plain dotted path
 * of element names ({@code value}, {@code address.city}) is walked in the tree instead, which is the same answer
 * without the engine's cost.
 */
final class RulePath {

	private static final Pattern NODES_BY = Pattern.compile(
			"^nodesBy(Type|Name)\\('([A-Za-z][A-Za-z0-9_]*)'\\)(?:\\.(.+))?$", Pattern.DOTALL);
	private static final Pattern TYPED = Pattern.compile("^([A-Z][A-Za-z]*)(?:\\.(.+))?$", Pattern.DOTALL);
	private static final Pattern DOTTED = Pattern.compile("^[a-z][A-Za-z0-9]*(?:\\.[a-z][A-Za-z0-9]*)*$");

	/** How a branch finds its starting elements. */
	private enum Start { BY_TYPE, BY_NAME, RESOURCE }

	/**
	 * @param start       where the branch starts
	 * @param key         the type or name of nodesBy..., or the resource type (null: any)
	 * @param dotted      the remainder as element names when it is a plain path, else null
	 * @param expression  the remainder as parsed by the FHIRPath engine, when it is not a plain path
	 */
	private record Branch(Start start, String key, List<String> dotted, IParsedExpression expression) {}

	private final String text;
	private final List<Branch> branches;

	private RulePath(String text, List<Branch> branches) {
		this.text = text;
		this.branches = branches;
	}

	/**
	 * @param resourceTypes the types a {@code Type.} prefix may name
	 * @throws IllegalArgumentException naming what does not parse
	 */
	static RulePath compile(String path, IFhirPath fhirPath, Set<String> resourceTypes) {
		List<Branch> branches = new ArrayList<>();
		for (String part : topLevelUnion(path)) {
			String branch = part.strip();
			if (branch.isEmpty()) {
				throw new IllegalArgumentException("an empty branch in '" + path + "'");
			}
			Matcher nodesBy = NODES_BY.matcher(branch);
			Matcher typed = TYPED.matcher(branch);
			if (nodesBy.matches()) {
				branches.add(branch(nodesBy.group(1).equals("Type") ? Start.BY_TYPE : Start.BY_NAME, nodesBy.group(2),
						nodesBy.group(3), fhirPath));
			} else if (branch.contains("nodesByType(") || branch.contains("nodesByName(")) {
				throw new IllegalArgumentException("nodesByType/nodesByName may only start a branch of the path ('"
						+ branch + "')");
			} else if (typed.matches()) {
				String type = typed.group(1);
				boolean any = type.equals("Resource") || type.equals("DomainResource");
				if (!any && !resourceTypes.contains(type)) {
					throw new IllegalArgumentException("'" + type + "' is not a resource type");
				}
				branches.add(branch(Start.RESOURCE, any ? null : type, typed.group(2), fhirPath));
			} else {
				branches.add(branch(Start.RESOURCE, null, branch, fhirPath));
			}
		}
		return new RulePath(path, List.copyOf(branches));
	}

	private static Branch branch(Start start, String key, String remainder, IFhirPath fhirPath) {
		if (remainder == null) {
			return new Branch(start, key, List.of(), null);
		}
		String rest = remainder.strip();
		if (DOTTED.matcher(rest).matches()) {
			return new Branch(start, key, List.of(rest.split("\\.")), null);
		}
		try {
			return new Branch(start, key, null, fhirPath.parse(rest));
		} catch (Exception e) {
			throw new IllegalArgumentException("FHIRPath '" + rest + "' does not parse: " + e.getMessage(), e);
		}
	}

	/** The branches of {@code a | b | c}, splitting only outside parentheses and quotes. */
	private static List<String> topLevelUnion(String path) {
		List<String> parts = new ArrayList<>();
		int depth = 0;
		boolean quoted = false;
		int start = 0;
		for (int i = 0; i < path.length(); i++) {
			char c = path.charAt(i);
			if (c == '\'' && (i == 0 || path.charAt(i - 1) != '\\')) {
				quoted = !quoted;
			} else if (!quoted && (c == '(' || c == '[')) {
				depth++;
			} else if (!quoted && (c == ')' || c == ']')) {
				depth--;
			} else if (!quoted && depth == 0 && c == '|') {
				parts.add(path.substring(start, i));
				start = i + 1;
			}
		}
		parts.add(path.substring(start));
		return parts;
	}

	/** Adds the types and names its nodesByType / nodesByName branches start from (what a tree must index). */
	void collectIndexKeys(Set<String> types, Set<String> names) {
		for (Branch branch : branches) {
			if (branch.start() == Start.BY_TYPE) {
				types.add(branch.key());
			} else if (branch.start() == Start.BY_NAME) {
				names.add(branch.key());
			}
		}
	}

	/** Whether the path can select anything in a resource of this type (a {@code Type.} branch of another cannot). */
	boolean mayApplyTo(String resourceType) {
		return branches.stream().anyMatch(branch -> branch.start() != Start.RESOURCE || branch.key() == null
				|| branch.key().equals(resourceType));
	}

	/**
	 * The elements of the tree's resource this path selects, in the order found. An element may occur twice (two
	 * branches reaching it): the first rule to reach an element decides it, so a repeat changes nothing.
	 * Everything is selected before the caller changes anything, as FHIRPath conditions read the values.
	 */
	List<Node> select(ResourceTree tree, IFhirPath fhirPath) {
		if (branches.size() == 1) {
			return select(branches.get(0), tree, fhirPath);
		}
		List<Node> selected = new ArrayList<>();
		for (Branch branch : branches) {
			selected.addAll(select(branch, tree, fhirPath));
		}
		return selected;
	}

	private static List<Node> select(Branch branch, ResourceTree tree, IFhirPath fhirPath) {
		List<Node> starts = switch (branch.start()) {
			case BY_TYPE -> tree.byType(branch.key());
			case BY_NAME -> tree.byName(branch.key());
			case RESOURCE -> branch.key() == null || branch.key().equals(tree.root().type()) ? List.of(tree.root())
					: List.of();
		};
		if (starts.isEmpty() || (branch.expression() == null && branch.dotted().isEmpty())) {
			return starts;
		}
		if (branch.expression() != null) {
			List<Node> selected = new ArrayList<>();
			for (Node start : starts) {
				for (IBase value : fhirPath.evaluate(start.value(), branch.expression(), IBase.class)) {
					Node node = tree.node(value);
					if (node != null) {
						selected.add(node);
					}
				}
			}
			return selected;
		}
		List<Node> current = starts;
		for (String name : branch.dotted()) {
			List<Node> next = new ArrayList<>();
			for (Node node : current) {
				for (Node child : node.children()) {
					if (child.name().equals(name)) {
						next.add(child);
					}
				}
			}
			current = next;
			if (current.isEmpty()) {
				break;
			}
		}
		return current;
	}

	@Override
	public String toString() {
		return text;
	}
}
