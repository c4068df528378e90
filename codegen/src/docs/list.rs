//! What a table cell names besides its own text: the `<ul><li>` lists of the Chinese cells and the
//! inline `name : Type.` and `value : meaning` runs of the English ones.

/// An item of a `<ul><li>` list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    /// The name or value the item starts with (`` `userUuid`: ``, `` `1`: ``, `0：`).
    pub key: Option<String>,
    /// The text after the key.
    pub text: String,
    /// The nested items.
    pub children: Vec<Item>,
}

/// A field named inside a cell, relative to the row's field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubField {
    /// The dotted name below the row (`schedule.startTime`).
    pub name: String,
    /// The type, when the item gives one.
    pub ty: String,
    /// The values listed below it.
    pub values: Vec<String>,
}

/// Splits a cell into its text before the first list and the (possibly malformed) nested lists.
/// Unknown tags are dropped; an `<li>` outside any `<ul>` counts as one level deep.
pub(crate) fn parse(cell: &str) -> (String, Vec<Item>) {
    let mut intro = String::new();
    let mut flat: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    let mut rest = cell;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        match flat.last_mut() {
            Some((_, t)) => t.push_str(text),
            None => intro.push_str(text),
        }
        let Some(len) = rest[start..].find('>') else {
            rest = &rest[start..];
            break;
        };
        let tag = rest[start + 1..start + len].trim().to_ascii_lowercase();
        rest = &rest[start + len + 1..];
        match tag.as_str() {
            "ul" => depth += 1,
            "/ul" => depth = depth.saturating_sub(1),
            "li" => flat.push((depth.max(1), String::new())),
            _ => {}
        }
    }
    match flat.last_mut() {
        Some((_, t)) => t.push_str(rest),
        None => intro.push_str(rest),
    }
    (intro.trim().to_owned(), build(flat))
}

/// Nests the items: an item's parent is the nearest earlier item that is less deep.
fn build(flat: Vec<(usize, String)>) -> Vec<Item> {
    let mut roots = Vec::new();
    let mut stack: Vec<(usize, Item)> = Vec::new();
    for (depth, text) in flat {
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            let (_, item) = stack.pop().expect("checked");
            attach(&mut stack, &mut roots, item);
        }
        let (key, text) = split_key(&text);
        stack.push((
            depth,
            Item {
                key,
                text,
                children: Vec::new(),
            },
        ));
    }
    while let Some((_, item)) = stack.pop() {
        attach(&mut stack, &mut roots, item);
    }
    roots
}

fn attach(stack: &mut [(usize, Item)], roots: &mut Vec<Item>, item: Item) {
    match stack.last_mut() {
        Some((_, parent)) => parent.children.push(item),
        None => roots.push(item),
    }
}

/// `` `name`: text ``, `` `1` : text `` or `0：text` give a key; anything else gives none.
fn split_key(text: &str) -> (Option<String>, String) {
    let t = text.trim();
    let (key, rest) = if let Some(inner) = t.strip_prefix('`') {
        match inner.find('`') {
            Some(end) => (inner[..end].trim(), &inner[end + 1..]),
            None => return (None, t.to_owned()),
        }
    } else {
        let end = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
            .unwrap_or(t.len());
        (&t[..end], &t[end..])
    };
    let rest = rest.trim_start();
    match rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
        Some(after) if !key.is_empty() => (Some(key.to_owned()), after.trim().to_owned()),
        _ => (None, t.to_owned()),
    }
}

/// The documented type words, longest first.
const TYPES: &[&str] = &[
    "Object Array",
    "String array",
    "JSONArray",
    "Object[]",
    "String[]",
    "Object",
    "String",
    "Integer",
    "Number",
    "Boolean",
    "Array",
    "Long",
    "Float",
    "Map<",
];

/// The type a text starts with, after an optional `（必填）` or `(Optional)`.
pub(crate) fn type_word(text: &str) -> Option<&'static str> {
    let mut t = text.trim_start();
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(inner) = t.strip_prefix(open)
            && let Some(end) = inner.find(close)
        {
            t = inner[end + close.len_utf8()..].trim_start();
        }
    }
    TYPES.iter().copied().find(|w| {
        t.strip_prefix(w).is_some_and(|after| {
            w.ends_with('<') || !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

/// Whether a key is a value (a number or a boolean) rather than a field name.
pub(crate) fn is_value_key(key: &str) -> bool {
    key.parse::<i64>().is_ok() || key == "true" || key == "false"
}

/// Whether a field of this type, or described by this text, has fields of its own.
fn has_fields(ty: &str, text: &str) -> bool {
    let t = if ty.is_empty() { text } else { ty };
    ["Object", "Array", "array", "[]", "数组", "Map", "包含"]
        .iter()
        .any(|w| t.contains(w))
}

/// The fields and values that a row's items name: a number or boolean key is a value; a key whose
/// text starts with a type, or below a row that has fields, is a field; any other key is a value.
pub(crate) fn fields(ty: &str, text: &str, items: &[Item]) -> (Vec<SubField>, Vec<String>) {
    let mut out = Vec::new();
    let mut values = Vec::new();
    let parent_has_fields = has_fields(ty, text);
    for item in items {
        let Some(key) = &item.key else {
            continue;
        };
        let item_ty = type_word(&item.text).unwrap_or("");
        if is_value_key(key) || (item_ty.is_empty() && !parent_has_fields) {
            values.push(key.clone());
            continue;
        }
        let (children, child_values) = fields(item_ty, &item.text, &item.children);
        out.push(SubField {
            name: key.clone(),
            ty: item_ty.trim_end_matches('<').to_owned(),
            values: child_values,
        });
        out.extend(children.into_iter().map(|c| SubField {
            name: format!("{key}.{}", c.name),
            ..c
        }));
    }
    (out, values)
}

/// The English inline runs of a description: `userUuid : String. The user ID.` names a field,
/// `0 : Not started.` a value. A value glued to the previous sentence (`In progress0 :`) is
/// separated from it.
pub(crate) fn inline(desc: &str) -> (Vec<SubField>, Vec<String>) {
    let mut fields = Vec::new();
    let mut values = Vec::new();
    let mut from = 0;
    while let Some(at) = desc[from..].find(" : ") {
        let pos = from + at;
        from = pos + 3;
        let before = &desc[..pos];
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let token = &before[start..];
        if token.is_empty() {
            continue;
        }
        match type_word(&desc[from..]) {
            Some(ty) => fields.push(SubField {
                name: token.to_owned(),
                ty: ty.to_owned(),
                values: Vec::new(),
            }),
            None => values.push(unglue(token).to_owned()),
        }
    }
    (fields, values)
}

/// `progress0` → `0`, `Single-choice2` → `2`: a number glued to the end of a word.
fn unglue(token: &str) -> &str {
    let digits = token.len() - token.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let word = &token[..token.len() - digits];
    if digits > 0 && word.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 3 {
        &token[token.len() - digits..]
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_give_dotted_fields_and_values() {
        let cell = "用户踢人标记，包含以下字段：<ul><li>`state`: Integer 型，踢人状态：<ul><li>`1`: 被踢。</li><li> `0`: 未被踢。</li></ul><li>`duration`: Number 型，时长。</li></ul>";
        let (intro, items) = parse(cell);
        assert_eq!(intro, "用户踢人标记，包含以下字段：");
        let (fields, values) = fields("Object", &intro, &items);
        assert!(values.is_empty());
        let names: Vec<_> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.ty.as_str(), f.values.join(",")))
            .collect();
        assert_eq!(
            names,
            [
                ("state", "Integer", "1,0".into()),
                ("duration", "Number", String::new())
            ]
        );
    }

    #[test]
    fn values_of_a_scalar_row() {
        let (intro, items) =
            parse("录制模式：<ul><li>`web`：启用。</li><li>不填：合流。 <li></ul>");
        assert_eq!(fields("String", &intro, &items).1, ["web"]);
        let (intro, items) = parse("<ul><li>0：（默认）48 kHz</li><li>1：48 kHz</li></ul>");
        assert_eq!(fields("Number", &intro, &items).1, ["0", "1"]);
    }

    #[test]
    fn english_inline_runs() {
        let (f, v) = inline(
            "It contains the following fields:userUuid : String. The user ID.role : Integer. Th user role.",
        );
        assert_eq!(
            f.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["userUuid", "role"]
        );
        assert!(v.is_empty());
        let (f, v) = inline(
            "The status: 1 : In progress0 : Ended and regions:cn : Mainland China.ap : Asia",
        );
        assert!(f.is_empty());
        assert_eq!(v, ["1", "0", "cn", "ap"]);
        assert_eq!(inline("mode: 1 : Single-choice2 : Multiple").1, ["1", "2"]);
        assert_eq!(inline("état：cn : Chine").1, ["cn"]);
    }
}
