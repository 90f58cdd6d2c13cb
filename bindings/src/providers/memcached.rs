//! stub
use crate::pvalue::PValue;
use super::PResult;
#[derive(Clone, Debug, Default)]
pub struct Defaults;

pub struct Memcached;
impl Memcached {
    pub fn new(_d: Defaults) -> Self { Memcached }
    pub async fn call(&self, f: &str, _a: &[PValue]) -> PResult { Err(super::no_such_function("memcached", f)) }
}
