//! The public API of a generated crate, read back from the generator's own output with `syn`,
//! and the differences between two of them.
//!
//! An item is keyed by its path in the crate (`types::CreateRoomRequest`, `operations::CREATE_ROOM`,
//! `Client::create_room`); its members by kind and name (`field room_name`, `fn new`,
//! `variant Web`, `impl Default`, `derive Copy`, `attr non_exhaustive`).

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;

use crate::Generated;

/// The public items of one generated crate.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct Surface {
    pub items: BTreeMap<String, Item>,
    /// `operationId` → the key of its `OperationInfo` constant.
    pub op_consts: BTreeMap<String, String>,
}

/// One public item.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub(crate) struct Item {
    /// `struct`, `enum`, `const` or `fn`.
    pub kind: &'static str,
    /// Member key → its rendered type or signature.
    pub members: BTreeMap<String, String>,
    /// For `fn` items: the arguments after the receiver, in order.
    pub args: Vec<(String, String)>,
}

/// One difference between two surfaces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delta {
    /// The item's key in the head (in the base when it was removed).
    pub item: String,
    /// The item's key in the base when it was renamed.
    pub old_item: Option<String>,
    /// The member, `None` for the item as a whole.
    pub member: Option<String>,
    /// Whether code that compiled against the base may fail to compile against the head.
    pub breaking: bool,
    /// One sentence.
    pub text: String,
}

/// The item kinds a surface holds.
const KINDS: [&str; 6] = ["", "struct", "enum", "const", "fn", "type"];

/// Reads the public items of the generated files: every Rust file but `mod.rs`, each a module
/// named after the file (`types.rs` → `types::`), so that files the generator adds are read too.
pub(crate) fn read(generated: &Generated) -> Result<Surface, String> {
    let mut surface = Surface::default();
    for (file, text) in &generated.files {
        let Some(ns) = file.strip_suffix(".rs") else {
            continue;
        };
        if ns == "mod" || ns.contains('/') {
            continue;
        }
        let parsed = syn::parse_file(text).map_err(|e| format!("{file} does not parse: {e}"))?;
        for item in &parsed.items {
            read_item(&mut surface, ns, item);
        }
    }
    Ok(surface)
}

/// A surface as JSON, for a cache.
pub(crate) fn to_json(s: &Surface) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A surface back from [`to_json`]; `None` for anything else.
pub(crate) fn from_json(text: &str) -> Option<Surface> {
    #[derive(serde::Deserialize)]
    struct RawItem {
        kind: String,
        members: BTreeMap<String, String>,
        args: Vec<(String, String)>,
    }
    #[derive(serde::Deserialize)]
    struct Raw {
        items: BTreeMap<String, RawItem>,
        op_consts: BTreeMap<String, String>,
    }
    let raw: Raw = serde_json::from_str(text).ok()?;
    let mut items = BTreeMap::new();
    for (k, i) in raw.items {
        let kind = KINDS.iter().find(|x| **x == i.kind)?;
        items.insert(
            k,
            Item {
                kind,
                members: i.members,
                args: i.args,
            },
        );
    }
    Some(Surface {
        items,
        op_consts: raw.op_consts,
    })
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn read_item(s: &mut Surface, ns: &str, item: &syn::Item) {
    match item {
        syn::Item::Struct(st) if is_pub(&st.vis) => {
            let it = s.items.entry(format!("{ns}::{}", st.ident)).or_default();
            it.kind = "struct";
            attrs(it, &st.attrs);
            for f in &st.fields {
                if let (true, Some(name)) = (is_pub(&f.vis), &f.ident) {
                    it.members.insert(format!("field {name}"), ty(&f.ty));
                }
            }
        }
        syn::Item::Enum(en) if is_pub(&en.vis) => {
            let it = s.items.entry(format!("{ns}::{}", en.ident)).or_default();
            it.kind = "enum";
            attrs(it, &en.attrs);
            for v in &en.variants {
                let shape = match &v.fields {
                    syn::Fields::Unit => String::new(),
                    syn::Fields::Unnamed(u) => {
                        let tys: Vec<String> = u.unnamed.iter().map(|f| ty(&f.ty)).collect();
                        format!("({})", tys.join(", "))
                    }
                    syn::Fields::Named(n) => {
                        let fs: Vec<String> = n
                            .named
                            .iter()
                            .filter_map(|f| Some(format!("{}: {}", f.ident.as_ref()?, ty(&f.ty))))
                            .collect();
                        format!(" {{ {} }}", fs.join(", "))
                    }
                };
                it.members.insert(format!("variant {}", v.ident), shape);
            }
        }
        syn::Item::Type(t) if is_pub(&t.vis) => {
            let it = s.items.entry(format!("{ns}::{}", t.ident)).or_default();
            it.kind = "type";
            it.members.insert("type".into(), ty(&t.ty));
        }
        syn::Item::Mod(m) if is_pub(&m.vis) => {
            for inner in m.content.iter().flat_map(|(_, items)| items) {
                read_item(s, &format!("{ns}::{}", m.ident), inner);
            }
        }
        syn::Item::Const(c) if is_pub(&c.vis) => {
            let key = format!("{ns}::{}", c.ident);
            if let Some(id) = operation_id(&c.expr) {
                s.op_consts.insert(id, key.clone());
            }
            let it = s.items.entry(key).or_default();
            it.kind = "const";
            it.members.insert("type".into(), ty(&c.ty));
        }
        syn::Item::Impl(imp) => {
            let self_name = match imp.self_ty.as_ref() {
                syn::Type::Path(p) => p.path.segments.last().map(|seg| seg.ident.to_string()),
                _ => None,
            };
            let Some(self_name) = self_name else { return };
            if let Some((trait_path, _)) = &imp.trait_ {
                let key = format!("{ns}::{self_name}");
                let t = tidy(&trait_path.to_token_stream().to_string());
                s.items
                    .entry(key)
                    .or_default()
                    .members
                    .insert(format!("impl {t}"), String::new());
                return;
            }
            for member in &imp.items {
                match member {
                    syn::ImplItem::Fn(f) if is_pub(&f.vis) => {
                        if self_name == "Client" {
                            let it = s
                                .items
                                .entry(format!("Client::{}", f.sig.ident))
                                .or_default();
                            it.kind = "fn";
                            it.args = args(&f.sig);
                            it.members.insert("returns".into(), ret(&f.sig));
                            if f.attrs.iter().any(|a| a.path().is_ident("deprecated")) {
                                it.members.insert("attr deprecated".into(), String::new());
                            }
                        } else {
                            let it = s.items.entry(format!("{ns}::{self_name}")).or_default();
                            it.members
                                .insert(format!("fn {}", f.sig.ident), signature(&f.sig));
                        }
                    }
                    syn::ImplItem::Const(c) if is_pub(&c.vis) => {
                        let it = s.items.entry(format!("{ns}::{self_name}")).or_default();
                        it.members.insert(format!("const {}", c.ident), ty(&c.ty));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// `#[non_exhaustive]` and the derived traits.
fn attrs(it: &mut Item, attrs: &[syn::Attribute]) {
    for a in attrs {
        if a.path().is_ident("non_exhaustive") {
            it.members
                .insert("attr non_exhaustive".into(), String::new());
        } else if a.path().is_ident("derive")
            && let syn::Meta::List(list) = &a.meta
        {
            for d in list.tokens.to_string().split(',') {
                let d = tidy(d);
                let short = d.rsplit("::").next().unwrap_or(&d).to_owned();
                if !short.is_empty() {
                    it.members.insert(format!("derive {short}"), String::new());
                }
            }
        }
    }
}

/// The `id` of an `OperationInfo { id: "...", .. }` initializer.
fn operation_id(expr: &syn::Expr) -> Option<String> {
    let syn::Expr::Struct(st) = expr else {
        return None;
    };
    st.fields
        .iter()
        .find_map(|fv| match (&fv.member, &fv.expr) {
            (
                syn::Member::Named(n),
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }),
            ) if n == "id" => Some(s.value()),
            _ => None,
        })
}

fn ty(t: &syn::Type) -> String {
    tidy(&t.to_token_stream().to_string())
}

fn args(sig: &syn::Signature) -> Vec<(String, String)> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => {
                Some((tidy(&pt.pat.to_token_stream().to_string()), ty(&pt.ty)))
            }
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

fn ret(sig: &syn::Signature) -> String {
    match &sig.output {
        syn::ReturnType::Default => "()".into(),
        syn::ReturnType::Type(_, t) => ty(t),
    }
}

/// `fn name(self, a: A) -> R`, receivers written without `mut`.
fn signature(sig: &syn::Signature) -> String {
    let mut parts = Vec::new();
    if let Some(r) = sig.receiver() {
        parts.push(match r.kind {
            syn::ReceiverKind::Reference(_, _, Some(_)) => "&mut self".to_owned(),
            syn::ReceiverKind::Reference(..) => "&self".to_owned(),
            _ => "self".to_owned(),
        });
    }
    parts.extend(args(sig).into_iter().map(|(n, t)| format!("{n}: {t}")));
    let r = ret(sig);
    let arrow = if r == "()" {
        String::new()
    } else {
        format!(" -> {r}")
    };
    format!("{}({}){arrow}", sig.ident, parts.join(", "))
}

/// Token text with the spaces `to_string` puts between every token removed where Rust does not need them.
fn tidy(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars[i + 1..].iter().copied().find(|c| *c != ' ');
            let keep = match (prev, next) {
                (Some(','), _) => true,
                (Some(p), Some(n)) => word(p) && (word(n) || n == '['),
                _ => false,
            };
            if keep && prev != Some(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A type or signature as shown to readers: without the `crate::` paths of the generated modules.
pub(crate) fn shown(s: &str) -> String {
    s.replace("crate::types::", "")
        .replace("crate::events::", "")
        .replace("crate::operations::", "")
        .replace("crate::error_codes::", "")
        .replace("crate::", "")
}

/// The last path segment of an item key (`types::Foo` → `Foo`).
fn short(key: &str) -> &str {
    key.rsplit("::").next().unwrap_or(key)
}

/// Replaces the renamed types of `renames` (item key → item key) in a type or signature of the base.
///
/// A type is written `crate::ns::Name` from another module and `Name` from its own.
fn renamed_in(s: &str, renames: &BTreeMap<String, String>) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = s.to_owned();
    for (from, to) in renames {
        let (Some((ns, old)), Some((_, new))) = (from.split_once("::"), to.split_once("::")) else {
            continue;
        };
        if ns == "Client" {
            continue;
        }
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(old) {
            let before = &rest[..i];
            let after = &rest[i + old.len()..];
            let whole = !before.ends_with(word) && !after.starts_with(word);
            let qualified = before.ends_with(&format!("{ns}::"));
            let bare = !before.ends_with("::");
            result.push_str(before);
            result.push_str(if whole && (qualified || bare) {
                new
            } else {
                old
            });
            rest = after;
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// The differences between two surfaces; `renames` maps base item keys to head item keys.
pub(crate) fn diff(
    base: &Surface,
    head: &Surface,
    hinted: &BTreeMap<String, String>,
) -> Vec<Delta> {
    let mut renames: BTreeMap<String, String> = hinted
        .iter()
        .filter(|(b, h)| b != h && base.items.contains_key(*b) && head.items.contains_key(*h))
        .filter(|(b, h)| !head.items.contains_key(*b) && !base.items.contains_key(*h))
        .map(|(b, h)| (b.clone(), h.clone()))
        .collect();
    // A type that disappears while one of the same kind and members appears was renamed.
    let removed: Vec<&String> = base
        .items
        .keys()
        .filter(|k| !head.items.contains_key(*k) && !renames.contains_key(*k))
        .collect();
    let targets: BTreeSet<&String> = renames.values().collect();
    let added: Vec<&String> = head
        .items
        .keys()
        .filter(|k| !base.items.contains_key(*k) && !targets.contains(k))
        .collect();
    let mut taken = BTreeSet::new();
    for b in &removed {
        let bi = &base.items[*b];
        if !matches!(bi.kind, "struct" | "enum") {
            continue;
        }
        let normalized: BTreeMap<String, String> = bi
            .members
            .iter()
            .map(|(k, v)| (k.clone(), renamed_in(v, &renames)))
            .collect();
        let candidates: Vec<&&String> = added
            .iter()
            .filter(|h| !taken.contains(**h))
            .filter(|h| h.split_once("::").map(|x| x.0) == b.split_once("::").map(|x| x.0))
            .filter(|h| head.items[**h].kind == bi.kind && head.items[**h].members == normalized)
            .collect();
        if let [only] = candidates.as_slice() {
            taken.insert((**only).clone());
            renames.insert((*b).clone(), (**only).clone());
        }
    }

    let mut out = Vec::new();
    for (bkey, bitem) in &base.items {
        let hkey = renames.get(bkey).unwrap_or(bkey);
        let Some(hitem) = head.items.get(hkey) else {
            out.push(Delta {
                item: bkey.clone(),
                old_item: None,
                member: None,
                breaking: true,
                text: format!("`{}` is removed.", display_key(bkey, bitem)),
            });
            continue;
        };
        if hkey != bkey {
            out.push(Delta {
                item: hkey.clone(),
                old_item: Some(bkey.clone()),
                member: None,
                breaking: true,
                text: format!("`{bkey}` is renamed to `{hkey}`."),
            });
        }
        if bitem.kind != hitem.kind && !bitem.kind.is_empty() && !hitem.kind.is_empty() {
            out.push(Delta {
                item: hkey.clone(),
                old_item: None,
                member: None,
                breaking: true,
                text: format!(
                    "`{hkey}` changes from a {} to a {}.",
                    bitem.kind, hitem.kind
                ),
            });
            continue;
        }
        if hitem.kind == "fn" {
            fn_deltas(&mut out, hkey, bitem, hitem, &renames);
        }
        member_deltas(&mut out, hkey, bitem, hitem, &renames);
    }
    let targets: BTreeSet<&String> = renames.values().collect();
    for (hkey, hitem) in &head.items {
        if !base.items.contains_key(hkey) && !targets.contains(hkey) {
            out.push(Delta {
                item: hkey.clone(),
                old_item: None,
                member: None,
                breaking: false,
                text: format!("New `{}`.", display_key(hkey, hitem)),
            });
        }
    }
    out
}

fn display_key(key: &str, item: &Item) -> String {
    match item.kind {
        "fn" => {
            let args: Vec<String> = item
                .args
                .iter()
                .map(|(n, t)| format!("{n}: {}", shown(t)))
                .collect();
            let ret = item
                .members
                .get("returns")
                .map(String::as_str)
                .unwrap_or("()");
            format!("{key}({}) -> {}", args.join(", "), shown(ret))
        }
        "" => key.to_owned(),
        kind => format!("{kind} {key}"),
    }
}

/// Arguments are positional: a change of names alone is not a change.
fn fn_deltas(
    out: &mut Vec<Delta>,
    key: &str,
    b: &Item,
    h: &Item,
    renames: &BTreeMap<String, String>,
) {
    let btypes: Vec<String> = b.args.iter().map(|(_, t)| renamed_in(t, renames)).collect();
    let htypes: Vec<String> = h.args.iter().map(|(_, t)| t.clone()).collect();
    if btypes == htypes {
        return;
    }
    let mut any = false;
    let bnames: BTreeMap<&str, String> = b
        .args
        .iter()
        .map(|(n, t)| (n.as_str(), renamed_in(t, renames)))
        .collect();
    let hnames: BTreeMap<&str, &String> = h.args.iter().map(|(n, t)| (n.as_str(), t)).collect();
    for (n, t) in &h.args {
        match bnames.get(n.as_str()) {
            None => {
                any = true;
                out.push(Delta {
                    item: key.to_owned(),
                    old_item: None,
                    member: Some(format!("arg {n}")),
                    breaking: true,
                    text: format!(
                        "`{key}` takes a new argument `{n}: {}`; every call must pass it.",
                        shown(t)
                    ),
                });
            }
            Some(old) if old != t => {
                any = true;
                out.push(Delta {
                    item: key.to_owned(),
                    old_item: None,
                    member: Some(format!("arg {n}")),
                    breaking: true,
                    text: format!(
                        "The argument `{n}` of `{key}` changes from `{}` to `{}`.",
                        shown(old),
                        shown(t)
                    ),
                });
            }
            Some(_) => {}
        }
    }
    for (n, t) in &b.args {
        if !hnames.contains_key(n.as_str()) {
            any = true;
            out.push(Delta {
                item: key.to_owned(),
                old_item: None,
                member: Some(format!("arg {n}")),
                breaking: true,
                text: format!(
                    "`{key}` no longer takes the argument `{n}: {}`; every call must drop it.",
                    shown(t)
                ),
            });
        }
    }
    if !any {
        out.push(Delta {
            item: key.to_owned(),
            old_item: None,
            member: Some("signature".into()),
            breaking: true,
            text: format!(
                "The arguments of `{key}` change from `({})` to `({})`.",
                shown(&btypes.join(", ")),
                shown(&htypes.join(", "))
            ),
        });
    }
}

fn member_deltas(
    out: &mut Vec<Delta>,
    key: &str,
    b: &Item,
    h: &Item,
    renames: &BTreeMap<String, String>,
) {
    let name = short(key);
    let non_exhaustive = h.members.contains_key("attr non_exhaustive");
    for (m, bv) in &b.members {
        let bv = renamed_in(bv, renames);
        let (kind, member) = m.split_once(' ').unwrap_or((m.as_str(), ""));
        match h.members.get(m) {
            None => {
                let text = match kind {
                    "field" => format!("Field `{name}::{member}` is removed."),
                    "fn" => format!("Method `{name}::{}` is removed.", shown(&bv)),
                    "variant" => format!("Variant `{name}::{member}{}` is removed.", shown(&bv)),
                    "const" => format!("Constant `{name}::{member}` is removed."),
                    "impl" => format!("`{name}` no longer implements `{member}`."),
                    "derive" => format!("`{name}` no longer derives `{member}`."),
                    "attr" if member == "deprecated" => {
                        out.push(Delta {
                            item: key.to_owned(),
                            old_item: None,
                            member: Some(m.clone()),
                            breaking: false,
                            text: format!("`{key}` is no longer deprecated."),
                        });
                        continue;
                    }
                    "attr" => format!("`{name}` is no longer `#[{member}]`."),
                    "returns" => continue,
                    _ => format!("`{name}`: `{m}` is removed."),
                };
                out.push(Delta {
                    item: key.to_owned(),
                    old_item: None,
                    member: Some(m.clone()),
                    breaking: true,
                    text,
                });
            }
            Some(hv) if *hv != bv => {
                let text = match kind {
                    "field" => format!(
                        "The type of field `{name}::{member}` changes from `{}` to `{}`.",
                        shown(&bv),
                        shown(hv)
                    ),
                    "fn" => format!(
                        "`{name}::{}` becomes `{name}::{}`: every call must change.",
                        shown(&bv),
                        shown(hv)
                    ),
                    "returns" => format!(
                        "`{key}` now returns `{}` instead of `{}`.",
                        shown(hv),
                        shown(&bv)
                    ),
                    "variant" => format!(
                        "Variant `{name}::{member}` changes from `{member}{}` to `{member}{}`.",
                        shown(&bv),
                        shown(hv)
                    ),
                    _ => format!(
                        "`{name}`: `{m}` changes from `{}` to `{}`.",
                        shown(&bv),
                        shown(hv)
                    ),
                };
                out.push(Delta {
                    item: key.to_owned(),
                    old_item: None,
                    member: Some(m.clone()),
                    breaking: true,
                    text,
                });
            }
            Some(_) => {}
        }
    }
    for (m, hv) in &h.members {
        if b.members.contains_key(m) {
            continue;
        }
        let (kind, member) = m.split_once(' ').unwrap_or((m.as_str(), ""));
        let (breaking, text) = match kind {
            "field" if non_exhaustive => (
                false,
                format!(
                    "New field `{name}::{member}: {}` (not breaking: `{name}` is `#[non_exhaustive]`).",
                    shown(hv)
                ),
            ),
            "field" => (
                true,
                format!(
                    "New field `{name}::{member}: {}`; struct literals of `{name}` must set it.",
                    shown(hv)
                ),
            ),
            "variant" if non_exhaustive => (
                false,
                format!(
                    "New variant `{name}::{member}{}` (not breaking: `{name}` is `#[non_exhaustive]`).",
                    shown(hv)
                ),
            ),
            "variant" => (
                true,
                format!(
                    "New variant `{name}::{member}{}`; exhaustive matches on `{name}` must handle it.",
                    shown(hv)
                ),
            ),
            "fn" => (false, format!("New method `{name}::{}`.", shown(hv))),
            "const" => (false, format!("New constant `{name}::{member}`.")),
            "impl" => (false, format!("`{name}` now implements `{member}`.")),
            "derive" => (false, format!("`{name}` now derives `{member}`.")),
            "attr" if member == "deprecated" => (
                false,
                format!("`{key}` is now `#[deprecated]`: callers get a warning."),
            ),
            "attr" => (true, format!("`{name}` is now `#[{member}]`.")),
            _ => (false, format!("`{name}`: new `{m}`.")),
        };
        out.push(Delta {
            item: key.to_owned(),
            old_item: None,
            member: Some(m.clone()),
            breaking,
            text,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_keeps_only_needed_spaces() {
        assert_eq!(
            tidy("Option < crate :: types :: Foo >"),
            "Option<crate::types::Foo>"
        );
        assert_eq!(tidy("impl Into < String >"), "impl Into<String>");
        assert_eq!(tidy("& 'static [Self]"), "&'static [Self]");
        assert_eq!(tidy("& [& OperationInfo]"), "&[&OperationInfo]");
        assert_eq!(
            tidy("std :: collections :: BTreeMap < String , i64 >"),
            "std::collections::BTreeMap<String, i64>"
        );
    }

    #[test]
    fn renames_replace_whole_names_only() {
        let renames = BTreeMap::from([("types::Foo".to_owned(), "types::Bar".to_owned())]);
        assert_eq!(
            renamed_in("Vec<crate::types::Foo>, crate::types::FooBar", &renames),
            "Vec<crate::types::Bar>, crate::types::FooBar"
        );
        assert_eq!(renamed_in("&Foo", &renames), "&Bar");
        assert_eq!(
            renamed_in("crate::events::Foo", &renames),
            "crate::events::Foo"
        );
    }
}
