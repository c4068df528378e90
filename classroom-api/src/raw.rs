//! The escape hatch: a call the spec does not describe yet, with the client's auth, retries,
//! failover and error mapping, answering the envelope's `data` as JSON.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::request::{Request, decode_nullable};
use crate::runtime::{Call, OperationInfo, segment};

/// What is escaped in a query name or value.
const QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'{')
    .add(b'}');

macro_rules! raw_ops {
    ($($name:ident: $method:literal, $idempotent:literal;)*) => {
        $(
            const $name: OperationInfo = OperationInfo {
                id: "raw",
                method: $method,
                path: "",
                tag: "raw",
                idempotent: $idempotent,
                has_body: false,
            };
        )*
    };
}

raw_ops! {
    RAW_GET: "GET", true;
    RAW_PUT: "PUT", true;
    RAW_DELETE: "DELETE", true;
    RAW_POST: "POST", false;
    RAW_PATCH: "PATCH", false;
}

impl Client {
    /// Calls an endpoint the spec does not have yet: `method` (`GET`, `POST`, `PUT`, `PATCH` or
    /// `DELETE`) on `template`, a path like the vendor's documents write it
    /// (`/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/...`).
    ///
    /// `{region}` and `{appId}` are the client's; every other `{name}` takes the value of the
    /// `params` entry of that name, percent-encoded as one path segment. The other `params` are
    /// sent as query parameters. `body` is sent as JSON. The answer is the envelope's `data`
    /// (`null` when absent), and a business error is an [`Error::Api`], as for any operation.
    ///
    /// GET, PUT and DELETE are retried on transient failures; POST and PATCH only when the request
    /// surely never reached the server. Use [`Request::no_retry`] for a GET that must not repeat.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(client: &classroom_api::Client) -> classroom_api::Result<()> {
    /// let data = client
    ///     .raw(
    ///         "GET",
    ///         "/{region}/edu/apps/{appId}/v2/rooms/{roomUuid}/users",
    ///         &[("roomUuid", "math-101"), ("role", "1")],
    ///         None,
    ///     )
    ///     .await?;
    /// println!("{data}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn raw<'a>(
        &'a self,
        method: &str,
        template: &str,
        params: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Request<'a, serde_json::Value> {
        Request::new(self, decode_nullable::<serde_json::Value>, move || {
            let op = match method.to_ascii_uppercase().as_str() {
                "GET" => &RAW_GET,
                "PUT" => &RAW_PUT,
                "DELETE" => &RAW_DELETE,
                "POST" => &RAW_POST,
                "PATCH" => &RAW_PATCH,
                _ => {
                    return Err(invalid(
                        "method",
                        format!("{method:?} is not one of GET, POST, PUT, PATCH and DELETE"),
                    ));
                }
            };
            let mut call = Call::new(op, self.raw_path(template, params)?);
            if let Some(room) = params.iter().find(|(k, _)| *k == "roomUuid") {
                call.room_uuid = Some(std::borrow::Cow::Owned(room.1.to_owned()));
            }
            if let Some(body) = body {
                call.json(body)?;
            }
            Ok(call)
        })
    }

    /// Fills the template and appends the unused parameters as the query string.
    fn raw_path(&self, template: &str, params: &[(&str, &str)]) -> Result<String> {
        if !template.starts_with('/') {
            return Err(invalid(
                "template",
                format!("{template:?} does not start with '/'"),
            ));
        }
        let mut path = String::with_capacity(template.len() + 64);
        let mut used = vec![false; params.len()];
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            path.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| invalid("template", format!("{template:?} has an unclosed '{{'")))?;
            let name = &after[..close];
            match name {
                "region" => path.push_str(self.region_segment()),
                "appId" => path.push_str(self.app_id_segment()),
                _ => {
                    let (i, (_, value)) = params
                        .iter()
                        .enumerate()
                        .find(|(_, (k, _))| *k == name)
                        .ok_or_else(|| {
                            invalid(name, format!("the template needs `{name}` in the params"))
                        })?;
                    if value.is_empty() {
                        return Err(invalid(name, format!("`{name}` is empty")));
                    }
                    used[i] = true;
                    path.push_str(&segment(value));
                }
            }
            rest = &after[close + 1..];
        }
        if rest.contains('}') || rest.contains('?') {
            return Err(invalid(
                "template",
                format!("{template:?} has a stray '}}' or a '?' (pass query parameters in params)"),
            ));
        }
        path.push_str(rest);
        let mut separator = '?';
        for ((name, value), used) in params.iter().zip(used) {
            if !used {
                path.push(separator);
                path.extend(utf8_percent_encode(name, QUERY));
                path.push('=');
                path.extend(utf8_percent_encode(value, QUERY));
                separator = '&';
            }
        }
        Ok(path)
    }
}

fn invalid(field: &str, reason: String) -> Error {
    Error::InvalidInput {
        operation: "raw",
        field: field.to_owned(),
        reason,
    }
}
