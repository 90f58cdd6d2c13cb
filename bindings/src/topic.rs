//! MQTT topic validation and matching, as VerneMQ's `vmq_topic` does it
//! (reference §3.4 validators, §4 matching).
//!
//! Topics are handled as `/`-joined strings; a "word list" is the string
//! split on every `/` (`"a//b"` has the three words `a`, ``, `b`).

/// VerneMQ's default `max_topic_depth` is unbounded for validation purposes
/// here; we cap topics at the MQTT maximum string length.
const MAX_TOPIC_LEN: usize = 65535;

fn common_checks(topic: &[u8]) -> Option<&str> {
    if topic.is_empty() || topic.len() > MAX_TOPIC_LEN || topic.contains(&0) {
        return None;
    }
    std::str::from_utf8(topic).ok()
}

/// A valid PUBLISH topic: non-empty, UTF-8, no NUL, no `+`/`#`.
pub fn is_valid_publish_topic(topic: &[u8]) -> bool {
    match common_checks(topic) {
        Some(t) => !t.contains('+') && !t.contains('#'),
        None => false,
    }
}

/// A valid SUBSCRIBE filter: non-empty, UTF-8, no NUL, `+` only as a whole
/// level, `#` only as the whole last level. `$share/<group>/<filter>` needs a
/// non-empty wildcard-free group and a valid filter.
pub fn is_valid_subscribe_topic(topic: &[u8]) -> bool {
    let Some(t) = common_checks(topic) else {
        return false;
    };
    if let Some(rest) = t.strip_prefix("$share/") {
        let Some((group, filter)) = rest.split_once('/') else {
            return false;
        };
        if group.is_empty() || group.contains('+') || group.contains('#') {
            return false;
        }
        return is_valid_subscribe_topic(filter.as_bytes());
    }
    let levels: Vec<&str> = t.split('/').collect();
    let last = levels.len() - 1;
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i != last) {
            return false;
        }
        if level.contains('+') && *level != "+" {
            return false;
        }
    }
    true
}

/// MQTT filter matching with `+` (one level) and `#` (this level and all
/// below, including the parent itself: `a/#` matches `a`). Topics starting
/// with `$` are matched literally like any other (as `vmq_topic:match/2`).
pub fn matches(filter: &str, topic: &str) -> bool {
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The word list of a topic (split on `/`).
pub fn words(topic: &str) -> Vec<String> {
    topic.split('/').map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(is_valid_publish_topic(b"a/b/c"));
        assert!(is_valid_publish_topic(b"a//b"));
        assert!(!is_valid_publish_topic(b"a/+/c"));
        assert!(!is_valid_publish_topic(b""));
        assert!(!is_valid_publish_topic(b"a\0b"));
        assert!(is_valid_subscribe_topic(b"a/+/c"));
        assert!(is_valid_subscribe_topic(b"a/#"));
        assert!(is_valid_subscribe_topic(b"#"));
        assert!(!is_valid_subscribe_topic(b"a/#/c"));
        assert!(!is_valid_subscribe_topic(b"a/b+"));
        assert!(is_valid_subscribe_topic(b"$share/g/a/+"));
        assert!(!is_valid_subscribe_topic(b"$share//a"));
    }

    #[test]
    fn matching() {
        assert!(matches("a/+/c", "a/b/c"));
        assert!(!matches("a/+/c", "a/b/d"));
        assert!(matches("a/+/c", "a/+/c"));
        assert!(matches("c/b/#", "c/b/x"));
        assert!(matches("c/b/#", "c/b"));
        assert!(matches("#", "x/y"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(!matches("a/b/c", "a/b"));
        assert!(matches("a//b", "a//b"));
    }
}
