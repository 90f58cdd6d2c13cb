//! The `coroutine` library. Resume and yield are requests to the executor
//! (`Action::Resume`/`Action::Yield`), so no Rust stack is held by a
//! suspended coroutine.

use crate::object::{Action, CoStatus};
use crate::value::{ThreadRef, Type, Value};
use crate::vm::{LResult, Vm};

pub fn open(vm: &mut Vm) {
    vm.new_lib(
        "coroutine",
        &[("create", create), ("resume", resume), ("running", running), ("status", status), ("wrap", wrap), ("yield", yield_)],
    );
}

fn create(vm: &mut Vm) -> LResult<Action> {
    let f = vm.check_type(1, Type::Function)?;
    let co = vm.new_thread(f);
    vm.ret1(Value::Thread(co))
}

/// Why `co` cannot be resumed now, if it cannot.
fn resume_problem(vm: &Vm, co: ThreadRef) -> Option<&'static str> {
    if co == vm.cur {
        return Some("cannot resume non-suspended coroutine");
    }
    let th = vm.heap.threads.get(co.idx());
    match th.status {
        CoStatus::Suspended => {
            if th.frames.is_empty() && th.top == 0 {
                Some("cannot resume dead coroutine")
            } else {
                None
            }
        }
        CoStatus::Dead => Some("cannot resume dead coroutine"),
        _ => Some("cannot resume non-suspended coroutine"),
    }
}

fn resume(vm: &mut Vm) -> LResult<Action> {
    let co = match vm.arg(1) {
        Value::Thread(t) => t,
        _ => return Err(vm.arg_error(1, "coroutine expected")),
    };
    if let Some(msg) = resume_problem(vm, co) {
        let m = vm.str_value(msg.as_bytes());
        return vm.ret(&[Value::Bool(false), m]);
    }
    let nargs = vm.nargs() - 1;
    Ok(Action::Resume { co, nargs, wrap: false })
}

fn wrap_aux(vm: &mut Vm) -> LResult<Action> {
    let co = match vm.native_upvalue(1) {
        Value::Thread(t) => t,
        _ => return Err(vm.rt_error("invalid coroutine")),
    };
    if let Some(msg) = resume_problem(vm, co) {
        return Err(vm.rt_error(msg));
    }
    let nargs = vm.nargs();
    Ok(Action::Resume { co, nargs, wrap: true })
}

fn wrap(vm: &mut Vm) -> LResult<Action> {
    let f = vm.check_type(1, Type::Function)?;
    let co = vm.new_thread(f);
    let w = vm.native_with_upvals("wrap", wrap_aux, vec![Value::Thread(co)]);
    vm.ret1(w)
}

fn yield_(vm: &mut Vm) -> LResult<Action> {
    Ok(Action::Yield(vm.nargs()))
}

fn status(vm: &mut Vm) -> LResult<Action> {
    let co = match vm.arg(1) {
        Value::Thread(t) => t,
        _ => return Err(vm.arg_error(1, "coroutine expected")),
    };
    let s = if co == vm.cur {
        "running"
    } else {
        let th = vm.heap.threads.get(co.idx());
        match th.status {
            CoStatus::Suspended => {
                if th.frames.is_empty() && th.top == 0 {
                    "dead"
                } else {
                    "suspended"
                }
            }
            CoStatus::Normal => "normal",
            CoStatus::Running => "running",
            CoStatus::Dead => "dead",
        }
    };
    vm.ret_bytes(s.as_bytes())
}

fn running(vm: &mut Vm) -> LResult<Action> {
    let is_main = vm.cur == vm.main_thread;
    let c = vm.cur;
    vm.ret(&[Value::Thread(c), Value::Bool(is_main)])
}
