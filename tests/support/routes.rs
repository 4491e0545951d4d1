//! The API routes `infra/template.yaml` declares (function binary, method, path), read with a
//! small line-based parser of block-style YAML, and API Gateway's choice of route for a request.
//! The route-table test and the API Gateway stand-in ([`super::Gateway`]) both use them.

use std::collections::{BTreeMap, HashMap};

use web::AppState;

/// The SAM template, next to the tests crate.
pub const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");

/// One `HttpApi` event of a function: API Gateway sends `method path` to `function`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The function's binary (`BuildProperties: Binary:`), e.g. `process-api`.
    pub function: String,
    /// Upper case, or `ANY`.
    pub method: String,
    /// As declared, e.g. `/v1/runs/{id}`.
    pub path: String,
}

/// An API area: the binary serving it in AWS, its route table and its router.
pub struct Area {
    pub function: &'static str,
    pub table: fn() -> web::Routes,
    pub router: fn(AppState) -> axum::Router,
}

/// The API areas, one Lambda function each.
pub const AREAS: [Area; 5] = [
    Area {
        function: "process-api",
        table: web::process::table,
        router: web::process::router,
    },
    Area {
        function: "portal-api",
        table: web::portal::table,
        router: web::portal::router,
    },
    Area {
        function: "partner-api",
        table: web::partner::table,
        router: web::partner::router,
    },
    Area {
        function: "offer-api",
        table: web::offer::table,
        router: web::offer::router,
    },
    Area {
        function: "order-api",
        table: web::order::table,
        router: web::order::router,
    },
];

/// Each area's router, by its function's binary name.
pub fn routers(state: &AppState) -> HashMap<&'static str, axum::Router> {
    AREAS.iter().map(|a| (a.function, (a.router)(state.clone()))).collect()
}

/// The API routes of `infra/template.yaml`.
pub fn load() -> Vec<Route> {
    let text = std::fs::read_to_string(TEMPLATE).unwrap_or_else(|e| panic!("cannot read {TEMPLATE}: {e}"));
    parse(&text)
}

/// The `HttpApi` events of every `AWS::Serverless::Function` resource of a template.
pub fn parse(text: &str) -> Vec<Route> {
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    walk(text, |keys, value| {
        if let ["Resources", id, rest @ ..] = keys {
            resources.entry(id.to_string()).or_default().record(rest, value);
        }
    });
    resources
        .iter()
        .filter(|(_, r)| r.kind == "AWS::Serverless::Function")
        .flat_map(|(id, r)| r.routes(id))
        .collect()
}

/// The function API Gateway hands a request to: among the routes whose method matches (or
/// is `ANY`) and whose path matches, the most specific one (a literal segment beats a
/// `{param}`, which beats a greedy `{param+}`; then a method beats `ANY`). `None` is API
/// Gateway's 404. The query string is ignored.
pub fn function_for<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    routes
        .iter()
        .filter(|r| r.method == "ANY" || r.method.eq_ignore_ascii_case(method))
        .filter_map(|r| specificity(&r.path, path).map(|rank| ((rank, r.method != "ANY"), r)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r.function.as_str())
}

/// How specifically a template path matches a request path, segment by segment (2 literal,
/// 1 parameter, 0 greedy parameter); `None` when it does not match.
fn specificity(template: &str, path: &str) -> Option<Vec<u8>> {
    let mut want = segments(template);
    let mut got = segments(path);
    let mut rank = Vec::new();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(rank),
            (Some(w), Some(g)) if is_param(w) && w.ends_with("+}") => {
                rank.push(0);
                return (!g.is_empty() && want.next().is_none()).then_some(rank);
            }
            (Some(w), Some(g)) if is_param(w) && !g.is_empty() => rank.push(1),
            (Some(w), Some(g)) if w == g => rank.push(2),
            _ => return None,
        }
    }
}

fn segments(path: &str) -> std::str::Split<'_, char> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

/// `{name}` or `{name+}`.
pub fn is_param(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// A resource of the template, as far as routes go.
#[derive(Default)]
struct Resource {
    kind: String,
    binary: Option<String>,
    events: BTreeMap<String, Event>,
}

impl Resource {
    fn record(&mut self, keys: &[&str], value: &str) {
        match keys {
            ["Type"] => self.kind = unquote(value).to_string(),
            ["Metadata", "BuildProperties", "Binary"] => self.binary = Some(unquote(value).to_string()),
            ["Properties", "Events", name, rest @ ..] => {
                self.events.entry(name.to_string()).or_default().record(rest, value)
            }
            _ => {}
        }
    }

    fn routes(&self, id: &str) -> Vec<Route> {
        let api = self.events.iter().filter(|(_, e)| e.kind == "HttpApi");
        api.map(|(name, e)| {
            let Some(function) = self.binary.clone() else {
                panic!("{id} has HttpApi events but no Metadata.BuildProperties.Binary")
            };
            let (Some(method), Some(path)) = (e.method.clone(), e.path.clone()) else {
                panic!("{id}.Events.{name}: an HttpApi event without Method and Path ($default) is not supported")
            };
            Route { function, method, path }
        })
        .collect()
    }
}

/// An event of a function.
#[derive(Default)]
struct Event {
    kind: String,
    method: Option<String>,
    path: Option<String>,
}

impl Event {
    fn record(&mut self, keys: &[&str], value: &str) {
        match keys {
            ["Type"] => self.kind = unquote(value).to_string(),
            ["Properties"] => flow_pairs(value).into_iter().for_each(|(k, v)| self.set(k, v)),
            ["Properties", key] => self.set(key, unquote(value)),
            _ => {}
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        match key {
            "Method" if value.eq_ignore_ascii_case("x-amazon-apigateway-any-method") => {
                self.method = Some("ANY".into())
            }
            "Method" => self.method = Some(value.to_ascii_uppercase()),
            "Path" => self.path = Some(value.to_string()),
            _ => {}
        }
    }
}

/// Calls `visit` with the key path from the root (a list item is `-`) and the value of every
/// `key: value` line of a block-style YAML document. Comments and block scalars are skipped;
/// a flow collection (`{a: 1, b: [2]}`) may span lines and is passed on as one value.
fn walk(text: &str, mut visit: impl FnMut(&[&str], &str)) {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut scalar_of: Option<usize> = None;
    let mut lines = text.lines();
    while let Some(raw) = lines.next() {
        if let Some(at) = scalar_of {
            if raw.trim().is_empty() || indent_of(raw) > at {
                continue;
            }
            scalar_of = None;
        }
        let line = strip_comment(raw);
        let content = line.trim();
        if content.is_empty() || content.starts_with("---") || content == "..." {
            continue;
        }
        let (indent, content) = open_items(&mut stack, indent_of(line), content);
        let Some((key, value)) = key_value(content) else {
            continue;
        };
        let value = join_flow(value, &mut lines);
        stack.push((indent, key.to_string()));
        let keys: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
        visit(&keys, &value);
        if is_block_scalar(&value) {
            scalar_of = Some(indent);
        }
    }
}

/// Closes the keys this line ends and opens the list items (`- `) it starts with; returns
/// the column and text of what follows them.
fn open_items<'a>(stack: &mut Vec<(usize, String)>, mut indent: usize, mut content: &'a str) -> (usize, &'a str) {
    let item = content == "-" || content.starts_with("- ");
    // A list may sit at its parent key's column (`Key:\n- a`): that key stays open.
    stack.retain(|(at, key)| *at < indent || (item && *at == indent && key.as_str() != "-"));
    while let Some(rest) = content.strip_prefix('-').filter(|r| r.is_empty() || r.starts_with(' ')) {
        stack.push((indent, "-".to_string()));
        let inner = rest.trim_start();
        indent += content.len() - inner.len();
        content = inner;
    }
    (indent, content)
}

/// A flow collection value with the lines it continues on.
fn join_flow(value: &str, lines: &mut std::str::Lines<'_>) -> String {
    let mut value = value.to_string();
    while value.starts_with(['{', '[']) && flow_depth(&value) > 0 {
        let Some(next) = lines.next() else {
            break;
        };
        value.push(' ');
        value.push_str(strip_comment(next).trim());
    }
    value
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `|`, `>-`, `|+2`, ...: the value is on the following, deeper indented lines.
fn is_block_scalar(value: &str) -> bool {
    value.starts_with(['|', '>']) && value[1..].chars().all(|c| c == '-' || c == '+' || c.is_ascii_digit())
}

/// The line without its `# comment` (a `#` outside quotes, at the start or after a space).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let hash = unquoted(line)
        .into_iter()
        .find(|&(i, c)| c == '#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()));
    hash.map_or(line, |(i, _)| &line[..i])
}

/// `key: value` (value possibly empty); `None` for a line that is no mapping entry.
fn key_value(content: &str) -> Option<(&str, &str)> {
    if content.starts_with(['{', '[']) {
        return None;
    }
    let bytes = content.as_bytes();
    let (colon, _) = unquoted(content)
        .into_iter()
        .find(|&(i, c)| c == ':' && matches!(bytes.get(i + 1), None | Some(&b' ')))?;
    Some((unquote(&content[..colon]), content[colon + 1..].trim()))
}

/// The entries of a flow mapping `{a: 1, b: {c: 2}}`, values unquoted; empty for anything else.
fn flow_pairs(value: &str) -> Vec<(&str, &str)> {
    let Some(inner) = value.trim().strip_prefix('{').and_then(|v| v.strip_suffix('}')) else {
        return Vec::new();
    };
    split_top(inner)
        .into_iter()
        .filter_map(|entry| key_value(entry.trim()))
        .map(|(k, v)| (k, unquote(v)))
        .collect()
}

/// Splits at the commas outside quotes and nested collections.
fn split_top(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in unquoted(s) {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Open minus closed brackets outside quotes.
fn flow_depth(s: &str) -> i32 {
    unquoted(s)
        .into_iter()
        .map(|(_, c)| match c {
            '{' | '[' => 1,
            '}' | ']' => -1,
            _ => 0,
        })
        .sum()
}

/// The characters outside quoted scalars, with their byte offsets. A quote opens a scalar
/// only where one may start (after a space or `:`, `,`, `[`, `{`, or at the start).
fn unquoted(s: &str) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some('\'') if c == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'') && (prev.is_whitespace() || ":,[{".contains(prev)) => quote = Some(c),
            None => out.push((i, c)),
        }
        prev = c;
    }
    out
}

/// The text of a `"quoted"` or `'quoted'` scalar; anything else trimmed.
fn unquote(value: &str) -> &str {
    let v = value.trim();
    let quoted =
        v.len() >= 2 && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    if quoted {
        &v[1..v.len() - 1]
    } else {
        v
    }
}
