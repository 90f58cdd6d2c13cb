//! stub
use crate::pvalue::PValue;
use super::PResult;
#[derive(Clone, Debug, Default)]
pub struct Defaults;

pub struct Http;
impl Http {
    pub fn new(_d: Defaults) -> Self { Http }
    pub async fn call(&self, f: &str, _a: &[PValue]) -> PResult { Err(super::no_such_function("http", f)) }
}
