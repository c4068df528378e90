//! Walking the spec's schemas by the documents' dotted field names.
//!
//! A name resolves through `$ref`, `allOf`, `anyOf` and `oneOf` (a field is there when one
//! alternative has it), through arrays (`list.recordId` is a field of each item) and maps
//! (`pollDetails.num` is a field of each value). A free-form object (no `properties`) takes any field,
//! unless the exceptions file names the components that describe it for the operation being checked
//! (the pop-up quiz and poll shapes). The envelope's own free-form `data` means "no data" (as for the
//! generator), so it takes no field.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::yaml::escape_token;

/// The envelope's `data`: any JSON in the spec, "no data" for the generator and for this check.
const ENVELOPE_DATA: &str = "/components/schemas/Envelope/properties/data";

/// A schema with its JSON pointer in the spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node<'a> {
    pub value: &'a Value,
    pub pointer: String,
}

/// The result of resolving a dotted name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved<'a> {
    /// The schemas of the field.
    Found(Vec<Node<'a>>),
    /// A free-form object on the way takes the field.
    Open,
    /// The name's segment `at` (0-based) is missing; `parents` are the objects that lack it.
    Missing { at: usize, parents: Vec<Node<'a>> },
}

/// The spec's schemas, with the shapes that describe free-form objects for one operation.
pub(crate) struct Schemas<'a> {
    root: &'a Value,
    /// (pointer prefix of a free-form object, component names that describe it).
    shapes: Vec<(String, Vec<String>)>,
}

impl<'a> Schemas<'a> {
    /// The spec's schemas, without shapes.
    pub fn new(root: &'a Value) -> Schemas<'a> {
        Schemas {
            root,
            shapes: Vec::new(),
        }
    }

    /// The same spec, with the shapes of one operation.
    pub fn with_shapes(&self, shapes: Vec<(String, Vec<String>)>) -> Schemas<'a> {
        Schemas {
            root: self.root,
            shapes,
        }
    }

    /// The node at a pointer.
    pub fn at(&self, pointer: &str) -> Option<Node<'a>> {
        self.root.pointer(pointer).map(|value| Node {
            value,
            pointer: pointer.to_owned(),
        })
    }

    /// The node at a pointer, or none.
    pub fn nodes_at(&self, pointer: &str) -> Vec<Node<'a>> {
        self.at(pointer).into_iter().collect()
    }

    /// The alternatives of a schema: `$ref` followed, `allOf`/`anyOf`/`oneOf` flattened.
    pub fn leaves(&self, node: &Node<'a>) -> Vec<Node<'a>> {
        let mut out = Vec::new();
        self.leaves_into(node, &mut out, 0);
        out
    }

    fn leaves_into(&self, node: &Node<'a>, out: &mut Vec<Node<'a>>, depth: usize) {
        if depth > 32 {
            return;
        }
        if let Some(r) = node.value.get("$ref").and_then(Value::as_str) {
            if let Some(target) = r.strip_prefix('#').and_then(|p| self.at(p)) {
                self.leaves_into(&target, out, depth + 1);
            }
            return;
        }
        let mut combined = false;
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(members) = node.value.get(key).and_then(Value::as_array) {
                combined = true;
                for (i, m) in members.iter().enumerate() {
                    let child = Node {
                        value: m,
                        pointer: format!("{}/{key}/{i}", node.pointer),
                    };
                    self.leaves_into(&child, out, depth + 1);
                }
            }
        }
        if !combined || node.value.get("properties").is_some() {
            out.push(node.clone());
        }
    }

    /// Whether a leaf is a free-form object (or any JSON) that takes any field.
    pub fn is_free(leaf: &Node<'_>) -> bool {
        let v = leaf.value;
        let ty = v.get("type").and_then(Value::as_str);
        v.get("properties").is_none()
            && v.get("enum").is_none()
            && v.get("items").is_none()
            && matches!(ty, None | Some("object"))
            && match v.get("additionalProperties") {
                None | Some(Value::Bool(true)) => true,
                Some(Value::Object(m)) => m.is_empty(),
                Some(_) => false,
            }
    }

    /// The shapes named for a free-form leaf.
    pub fn shapes_named(&self, leaf: &Node<'_>) -> Option<&[String]> {
        self.shapes
            .iter()
            .find(|(at, _)| {
                leaf.pointer == *at
                    || leaf
                        .pointer
                        .strip_prefix(at.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .map(|(_, names)| names.as_slice())
    }

    /// The objects that stand for some schemas: arrays by their items, maps by their values,
    /// free-form objects with shapes by the shapes (when `shapes` is true).
    pub fn objects(&self, nodes: &[Node<'a>], shapes: bool) -> Vec<Node<'a>> {
        let mut out = Vec::new();
        let mut todo: Vec<Node<'a>> = nodes.iter().flat_map(|n| self.leaves(n)).collect();
        let mut seen = BTreeSet::new();
        while let Some(leaf) = todo.pop() {
            if !seen.insert(leaf.pointer.clone()) || seen.len() > 256 {
                continue;
            }
            let v = leaf.value;
            if let Some(items) = v.get("items") {
                let items = Node {
                    value: items,
                    pointer: format!("{}/items", leaf.pointer),
                };
                todo.extend(self.leaves(&items));
            } else if let Some(values @ Value::Object(m)) = v.get("additionalProperties")
                && !m.is_empty()
                && v.get("properties").is_none()
            {
                let values = Node {
                    value: values,
                    pointer: format!("{}/additionalProperties", leaf.pointer),
                };
                todo.extend(self.leaves(&values));
            } else if shapes
                && Self::is_free(&leaf)
                && let Some(names) = self.shapes_named(&leaf)
            {
                for name in names {
                    if let Some(shape) =
                        self.at(&format!("/components/schemas/{}", escape_token(name)))
                    {
                        todo.extend(self.leaves(&shape));
                    }
                }
            } else {
                out.push(leaf);
            }
        }
        out.reverse();
        out
    }

    /// The schemas of a field of some objects.
    pub fn child(&self, nodes: &[Node<'a>], name: &str) -> Resolved<'a> {
        let mut found = Vec::new();
        let mut open = false;
        let mut parents = Vec::new();
        for o in self.objects(nodes, true) {
            if let Some(p) = o.value.get("properties").and_then(|p| p.get(name)) {
                found.push(Node {
                    value: p,
                    pointer: format!("{}/properties/{}", o.pointer, escape_token(name)),
                });
            } else if Self::is_free(&o) && o.pointer != ENVELOPE_DATA {
                open = true;
            } else {
                parents.push(o);
            }
        }
        if !found.is_empty() {
            Resolved::Found(found)
        } else if open {
            Resolved::Open
        } else {
            Resolved::Missing { at: 0, parents }
        }
    }

    /// Resolves a dotted name from some roots.
    pub fn resolve(&self, roots: &[Node<'a>], name: &str) -> Resolved<'a> {
        let mut nodes = roots.to_vec();
        for (at, segment) in name.split('.').enumerate() {
            match self.child(&nodes, segment) {
                Resolved::Found(found) => nodes = found,
                Resolved::Open => return Resolved::Open,
                Resolved::Missing { parents, .. } => return Resolved::Missing { at, parents },
            }
        }
        Resolved::Found(nodes)
    }

    /// The values a schema enumerates (enum values, booleans, `x-enum-aliases`), `None` when no
    /// alternative enumerates any.
    pub fn values(&self, nodes: &[Node<'a>]) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        let mut enumerated = false;
        for leaf in nodes.iter().flat_map(|n| {
            let mut leaves = self.leaves(n);
            // The aliases sit beside the anyOf of an enum with two representations.
            leaves.push(n.clone());
            if let Some(target) = n
                .value
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.at(p))
            {
                leaves.push(target);
            }
            leaves
        }) {
            let v = leaf.value;
            if let Some(values) = v.get("enum").and_then(Value::as_array) {
                enumerated = true;
                out.extend(values.iter().map(value_text));
            }
            if v.get("type").and_then(Value::as_str) == Some("boolean") {
                enumerated = true;
                out.extend(["true".to_owned(), "false".to_owned()]);
            }
            if let Some(aliases) = v.get("x-enum-aliases").and_then(Value::as_object) {
                out.extend(aliases.keys().cloned());
            }
        }
        enumerated.then_some(out)
    }
}

/// An enum value as the documents write it.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
