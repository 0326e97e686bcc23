package hapibulk.deid;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseExtension;
import org.hl7.fhir.instance.model.api.IBaseHasExtensions;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The elements of one resource as a tree: each element with its parent, its name and its FHIR type, indexed by
 * type and by name ({@code nodesByType}, {@code nodesByName}) and by identity (what FHIRPath returns). Walked
 * once, through HAPI's element definitions, so it works for any FHIR version HAPI models. Resources inside the
 * resource (contained, Bundle entries, Parameters) are not part of it: each is a tree of its own.
 */
final class ResourceTree {

	/**
	 * One element, with what a pass over the resource has decided about it. A class rather than a record: it
	 * carries its children and a mark, so that the pass needs no identity maps of its own.
	 */
	static final class Node {
		private final IBase value;
		private final Node parent;
		private final BaseRuntimeChildDefinition child;
		private final String name;
		private final String type;
		private final int ordinal;
		private List<Node> children = List.of();
		/** Set by the first rule that reaches the element: no later rule touches it. */
		private boolean decided;

		/**
		 * @param child   the definition it is a value of in its parent (null for the resource)
		 * @param name    its element name without a choice suffix ({@code value} for {@code valueQuantity})
		 * @param type    its FHIR type name ({@code HumanName}, {@code date}, {@code Reference}, ...)
		 * @param ordinal its place in document order, from 0 (the resource)
		 */
		Node(IBase value, Node parent, BaseRuntimeChildDefinition child, String name, String type, int ordinal) {
			this.value = value;
			this.parent = parent;
			this.child = child;
			this.name = name;
			this.type = type;
			this.ordinal = ordinal;
		}

		IBase value() {
			return value;
		}

		Node parent() {
			return parent;
		}

		BaseRuntimeChildDefinition child() {
			return child;
		}

		String name() {
			return name;
		}

		String type() {
			return type;
		}

		int ordinal() {
			return ordinal;
		}

		/** The elements directly below it, in document order. */
		List<Node> children() {
			return children;
		}

		boolean isDecided() {
			return decided;
		}

		/** Marks it decided; false if it already was. */
		boolean decide() {
			if (decided) {
				return false;
			}
			decided = true;
			return true;
		}

		boolean isPrimitive() {
			return value instanceof org.hl7.fhir.instance.model.api.IPrimitiveType<?>;
		}

		/** Whether this is {@code name} of an element of type {@code parentType} (Address.postalCode, ...). */
		boolean is(String parentType, String elementName) {
			return parent != null && parent.type.equals(parentType) && name.equals(elementName);
		}

		private void addChild(Node node) {
			if (children.isEmpty()) {
				children = new ArrayList<>(4);
			}
			children.add(node);
		}
	}

	private final FhirContext fhirContext;
	private final IBaseResource resource;
	/** By identity, for what FHIRPath returns: built on first use (most paths need no engine). */
	private Map<IBase, Node> nodes;
	private final Set<String> indexedTypes;
	private final Set<String> indexedNames;
	private final Map<String, List<Node>> byType = new HashMap<>();
	private final Map<String, List<Node>> byName = new HashMap<>();
	private final List<Node> ordered = new ArrayList<>();
	private final List<IBaseResource> nested = new ArrayList<>();
	private final List<IBaseResource> contained = new ArrayList<>();

	/**
	 * @param indexedTypes the types {@link #byType} is asked for (the profile's nodesByType keys); others are not indexed
	 * @param indexedNames the same for {@link #byName}
	 */
	ResourceTree(FhirContext fhirContext, IBaseResource resource, Set<String> indexedTypes, Set<String> indexedNames) {
		this.fhirContext = fhirContext;
		this.resource = resource;
		this.indexedTypes = indexedTypes;
		this.indexedNames = indexedNames;
		String type = fhirContext.getResourceType(resource);
		Node root = add(new Node(resource, null, null, type, type, 0));
		walk(root, fhirContext.getResourceDefinition(resource));
	}

	IBaseResource resource() {
		return resource;
	}

	Node root() {
		return ordered.get(0);
	}

	/** The element as indexed, or null for one that is not part of this tree (new, or of a nested resource). */
	Node node(IBase value) {
		if (nodes == null) {
			nodes = new IdentityHashMap<>(ordered.size() * 2);
			for (Node node : ordered) {
				nodes.put(node.value(), node);
			}
		}
		return nodes.get(value);
	}

	/** Every element of a FHIR type among the indexed ones, in document order (the resource excluded). */
	List<Node> byType(String type) {
		return byType.getOrDefault(type, List.of());
	}

	List<Node> byName(String name) {
		return byName.getOrDefault(name, List.of());
	}

	/** Resources held inside this one: contained ones, Bundle entries, Parameters values. */
	List<IBaseResource> nested() {
		return nested;
	}

	boolean isContained(IBaseResource inner) {
		return contained.stream().anyMatch(c -> c == inner);
	}

	private Node add(Node node) {
		ordered.add(node);
		if (node.parent() != null) {
			node.parent().addChild(node);
			if (indexedTypes.contains(node.type())) {
				byType.computeIfAbsent(node.type(), key -> new ArrayList<>()).add(node);
			}
			if (indexedNames.contains(node.name())) {
				byName.computeIfAbsent(node.name(), key -> new ArrayList<>()).add(node);
			}
		}
		return node;
	}

	private void walk(Node node, BaseRuntimeElementDefinition<?> definition) {
		if (definition instanceof BaseRuntimeElementCompositeDefinition<?> composite) {
			for (BaseRuntimeChildDefinition child : composite.getChildren()) {
				for (IBase value : child.getAccessor().getValues(node.value())) {
					if (value == null) {
						continue;
					}
					if (value instanceof IBaseResource inner) {
						nested.add(inner);
						if (child.getElementName().equals("contained")) {
							contained.add(inner);
						}
						continue;
					}
					BaseRuntimeElementDefinition<?> valueDefinition =
							child.getChildElementDefinitionByDatatype(value.getClass());
					if (valueDefinition == null) {
						valueDefinition = fhirContext.getElementDefinition(value.getClass());
					}
					if (valueDefinition == null) {
						continue;
					}
					String name = elementName(child);
					Node added = add(new Node(value, node, child, name, valueDefinition.getName(), ordered.size()));
					walk(added, valueDefinition);
				}
			}
		} else if (node.value() instanceof IBaseHasExtensions primitive) {
			// A primitive's extensions are not among its definition's children.
			BaseRuntimeElementDefinition<?> extension = null;
			for (IBaseExtension<?, ?> value : primitive.getExtension()) {
				if (extension == null) {
					extension = fhirContext.getElementDefinition(value.getClass());
				}
				Node added = add(new Node(value, node, null, "extension", "Extension", ordered.size()));
				walk(added, extension);
			}
		}
	}

	private static String elementName(BaseRuntimeChildDefinition child) {
		String name = child.getElementName();
		return name.endsWith("[x]") ? name.substring(0, name.length() - 3) : name;
	}

	/**
	 * Removes the element from its parent (a list entry by identity, a single value by setting it to null).
	 * The index keeps it: it was processed, so no later rule looks at it again.
	 */
	void remove(Node node) {
		Node parent = node.parent();
		if (parent == null) {
			return;
		}
		if (node.child() == null) {
			if (parent.value() instanceof IBaseHasExtensions holder) {
				holder.getExtension().removeIf(value -> value == node.value());
			}
			return;
		}
		List<IBase> values = node.child().getAccessor().getValues(parent.value());
		for (int i = 0; i < values.size(); i++) {
			if (values.get(i) == node.value()) {
				if (node.child().getMax() == 1) {
					node.child().getMutator().setValue(parent.value(), null);
				} else {
					node.child().getMutator().remove(parent.value(), i);
				}
				return;
			}
		}
	}

	/**
	 * Removes every element left empty (a name whose parts were all redacted), from the leaves up, so that no
	 * empty object or null entry is written.
	 */
	void prune() {
		for (int i = ordered.size() - 1; i > 0; i--) {
			Node node = ordered.get(i);
			if (node.value().isEmpty() && attached(node)) {
				remove(node);
			}
		}
	}

	private boolean attached(Node node) {
		Node parent = node.parent();
		if (parent == null) {
			return true;
		}
		if (node.child() == null) {
			return parent.value() instanceof IBaseHasExtensions holder
					&& holder.getExtension().stream().anyMatch(value -> value == node.value());
		}
		return node.child().getAccessor().getValues(parent.value()).stream().anyMatch(value -> value == node.value());
	}
}
