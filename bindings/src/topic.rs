//! MQTT topic validation and matching, as VerneMQ's `vmq_topic` does it
//! (reference §3.4 validators, §4 matching).
//!
//! Topics are handled as `/`-joined strings; a "word list" is the string
//! split on every `/` (`"a//b"` has the three words `a`, ``, `b`).

/// `vmq_topic:validate_topic/2` refuses topics longer than this (bytes).
const MAX_TOPIC_LEN: usize = 65536;

/// Checks we add to VerneMQ's: no NUL and valid UTF-8 (a modifier topic
/// goes back to the broker in a JSON reply; VerneMQ itself only checks
/// wildcards, emptiness and length).
fn common_checks(topic: &[u8]) -> Option<&str> {
    if topic.is_empty() || topic.len() > MAX_TOPIC_LEN || topic.contains(&0) {
        return None;
    }
    std::str::from_utf8(topic).ok()
}

/// A valid PUBLISH topic: non-empty, UTF-8, no NUL, no `+`/`#` anywhere
/// (`vmq_topic`: `no_+_allowed_in_publish`, `no_+_allowed_in_word`...).
pub fn is_valid_publish_topic(topic: &[u8]) -> bool {
    match common_checks(topic) {
        Some(t) => !t.contains('+') && !t.contains('#'),
        None => false,
    }
}

/// A valid SUBSCRIBE filter, as `vmq_topic:validate_topic(subscribe, _)`:
/// non-empty, `+` only as a whole level, `#` only as the whole last level;
/// a filter whose first level is `$share` needs at least two more levels
/// (`$share/<group>/<first word>...`; the group and the first word may be
/// empty or wildcards, as in VerneMQ). Plus our NUL/UTF-8 checks.
pub fn is_valid_subscribe_topic(topic: &[u8]) -> bool {
    let Some(t) = common_checks(topic) else {
        return false;
    };
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
    !(levels[0] == "$share" && levels.len() < 3)
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
        // vmq_topic's own cases
        assert!(!is_valid_subscribe_topic(b"$share/mygroup"));
        assert!(is_valid_subscribe_topic(b"$share/mygroup/a/b"));
        assert!(is_valid_subscribe_topic(b"$share//a"));
        assert!(is_valid_subscribe_topic(b"$share/g/"));
        assert!(is_valid_subscribe_topic(b"test////a//topic"));
        assert!(!is_valid_subscribe_topic(b"#testtopic"));
        assert!(!is_valid_subscribe_topic(b"/test/+testtopic"));
        assert!(!is_valid_publish_topic(b"test/+-"));
        assert!(!is_valid_publish_topic(b"test/#"));
        assert!(is_valid_publish_topic(b"////foo///bar"));
        assert!(is_valid_publish_topic(b"/"));
        assert!(is_valid_publish_topic(&[b'a'; MAX_TOPIC_LEN]));
        assert!(!is_valid_publish_topic(&[b'a'; MAX_TOPIC_LEN + 1]));
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
