use crate::node::{IntoNodeRef, NodeHandle, NodeRef};
use crate::state::State;

/// Several node references at once: an array or `Vec` of one kind, a tuple
/// mixing typed handles (`(retrieve_a, retrieve_b)`), or one typed handle.
pub trait IntoNodeRefs<S: State> {
    /// The references, in order.
    fn into_node_refs(self) -> Vec<NodeRef<S>>;
}

impl<S: State, T: IntoNodeRef<S>, const N: usize> IntoNodeRefs<S> for [T; N] {
    fn into_node_refs(self) -> Vec<NodeRef<S>> {
        self.into_iter().map(IntoNodeRef::into_node_ref).collect()
    }
}

impl<S: State, T: IntoNodeRef<S>> IntoNodeRefs<S> for Vec<T> {
    fn into_node_refs(self) -> Vec<NodeRef<S>> {
        self.into_iter().map(IntoNodeRef::into_node_ref).collect()
    }
}

impl<S: State, H: NodeHandle<State = S>> IntoNodeRefs<S> for H {
    fn into_node_refs(self) -> Vec<NodeRef<S>> {
        vec![self.into_node_ref()]
    }
}

macro_rules! tuple_refs {
    ($($t:ident),+) => {
        impl<S: State, $($t: IntoNodeRef<S>),+> IntoNodeRefs<S> for ($($t,)+) {
            #[allow(non_snake_case)]
            fn into_node_refs(self) -> Vec<NodeRef<S>> {
                let ($($t,)+) = self;
                vec![$($t.into_node_ref()),+]
            }
        }
    };
}

tuple_refs!(A);
tuple_refs!(A, B);
tuple_refs!(A, B, C);
tuple_refs!(A, B, C, D);
tuple_refs!(A, B, C, D, E);
tuple_refs!(A, B, C, D, E, F);
tuple_refs!(A, B, C, D, E, F, G);
tuple_refs!(A, B, C, D, E, F, G, H);
