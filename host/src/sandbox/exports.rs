//! Checks, when a component is loaded, that it has every export of the `runtime-store`
//! world with the world's type, and names the first that is missing or differs. (wasmtime
//! would only notice a wrong type when the first instance is made, without naming the
//! function.)

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentNamedList, InstancePre, Lift, Lower};

use crate::bindings::exports::galaxy::gamemaster::store::RuntimePage;
use crate::bindings::galaxy::gamemaster::types::{
    RuntimeRecord, Status, StoreError, Timestamp, UpdateEngineHealthInput, UpdateImageInput,
    UpdateSchedulingInput, UpdateStatusInput,
};
use crate::error::BuildError;

const RULES: &str = "galaxy:gamemaster/rules@0.2.0";
const STORE: &str = "galaxy:gamemaster/store@0.2.0";

type Checked = Result<(), StoreError>;
type Records = Result<Vec<RuntimeRecord>, StoreError>;
type Page = Result<RuntimePage, StoreError>;

/// Every export of the world, checked in WIT order.
pub(super) fn check<T>(pre: &InstancePre<T>) -> Result<(), BuildError> {
    let exports = Exports { pre };
    exports.function::<(Status, Status), (Checked,)>(RULES, "transition")?;
    exports.function::<(Status,), (Vec<Status>,)>(RULES, "allowed-transitions")?;
    exports.function::<(RuntimeRecord,), (Checked,)>(RULES, "validate-record")?;
    exports.function::<(UpdateStatusInput,), (Checked,)>(RULES, "validate-update-status")?;
    exports
        .function::<(UpdateSchedulingInput,), (Checked,)>(RULES, "validate-update-scheduling")?;
    exports.function::<(UpdateImageInput,), (Checked,)>(RULES, "validate-update-image")?;
    exports.function::<(UpdateEngineHealthInput,), (Checked,)>(
        RULES,
        "validate-update-engine-health",
    )?;
    exports.function::<(String,), (Result<RuntimeRecord, StoreError>,)>(STORE, "get")?;
    exports.function::<(RuntimeRecord,), (Checked,)>(STORE, "insert")?;
    exports.function::<(UpdateStatusInput,), (Checked,)>(STORE, "update-status")?;
    exports.function::<(UpdateSchedulingInput,), (Checked,)>(STORE, "update-scheduling")?;
    exports.function::<(UpdateImageInput,), (Checked,)>(STORE, "update-image")?;
    exports.function::<(UpdateEngineHealthInput,), (Checked,)>(STORE, "update-engine-health")?;
    exports.function::<(String,), (Checked,)>(STORE, "delete")?;
    exports.function::<(Timestamp,), (Records,)>(STORE, "list-due-running")?;
    exports.function::<(Status,), (Records,)>(STORE, "list-by-status")?;
    exports.function::<(), (Records,)>(STORE, "list")?;
    exports.function::<(Option<String>, u32), (Page,)>(STORE, "list-page")?;
    exports.function::<(Status, Option<String>, u32), (Page,)>(STORE, "list-by-status-page")?;
    exports
        .function::<(Timestamp, Option<String>, u32), (Page,)>(STORE, "list-due-running-page")?;
    Ok(())
}

struct Exports<'a, T: 'static> {
    pre: &'a InstancePre<T>,
}

impl<T> Exports<'_, T> {
    fn component(&self) -> &Component {
        self.pre.component()
    }

    /// Checks that `interface` exports `function` taking `Params` and giving `Results`.
    fn function<Params, Results>(
        &self,
        interface: &'static str,
        function: &'static str,
    ) -> Result<(), BuildError>
    where
        Params: ComponentNamedList + Lower,
        Results: ComponentNamedList + Lift,
    {
        let refused = |reason: &str, source: Option<wasmtime::Error>| BuildError::Export {
            interface,
            function,
            reason: reason.to_owned(),
            source: source.map(Into::into),
        };
        let instance = self
            .component()
            .get_export_index(None, interface)
            .ok_or_else(|| {
                refused(
                    "is missing (the component does not export the interface)",
                    None,
                )
            })?;
        match self.component().get_export(Some(&instance), function) {
            None => Err(refused("is missing", None)),
            Some((ComponentItem::ComponentFunc(ty), _)) => ty
                .typecheck::<Params, Results>(&self.pre.instance_type())
                .map_err(|error| {
                    refused(
                        "does not have the type the runtime-store world gives it",
                        Some(error),
                    )
                }),
            Some(_) => Err(refused("is not a function", None)),
        }
    }
}
