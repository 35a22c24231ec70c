"""The label state: the active model's embeddings, every label's head and their scores, kept in
memory and in step with the database.

LabelState is the one owner of that state. It loads it when first asked (view()), drops it when
it may be wrong (invalidate(), and rollback_on_failure() around writes that change it), and
makes every label write catch up with examples other processes wrote meanwhile. Non-MWI heads
are stored with a digest of what they were fitted on, so loading restores them instead of
refitting; a write refits only the label it changes and the labels fitted with other labels'
positives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from phototag.core.labels.heads import DEFAULT_METHOD, Head, get_method
from phototag.core.labels.heads.stored import examples_digest, head_from_bytes, head_to_bytes
from phototag.core.labels.imprint import Prototype
from phototag.core.labels.methods import effective_method, head_examples
from phototag.core.labels.methods import uses_others as method_uses_others
from phototag.core.labels.scoring import EmbeddingMatrix
from phototag.core.labels.thresholds import Calibration, calibrate, probability
from phototag.core.options import LIBRARY_METHOD
from phototag.core.store import labels as stored
from phototag.core.store import photos
from phototag.core.store.database import Store
from phototag.core.store.labels import LabelRow, SavedWeights, StoredHead
from phototag.core.store.photos import ModelRow

NO_DECISION = Calibration(threshold=math.inf, slope=1.0)


@dataclass(frozen=True)
class ExampleChange:
    """What a tag, reject or untag did: photos changed, already so, and paths naming none."""

    label: str
    changed: int
    unchanged: int
    not_found: list[str]
    sidecars_failed: list[tuple[str, str]] = field(default_factory=list)
    """(path, reason) of sidecars the library's sidecars-on-confirm setting could not write."""
    created: bool = False
    """Whether the tag created the label: a typo must never make a label silently."""
    near_match: str | None = None
    """When the tag created the label: an existing label with a similar name."""
    rescored: tuple[str, ...] = ()
    """The labels whose scores were recomputed (the label, and those fitted with other labels'
    positives): a GUI repaints only these; every other label's scores are untouched."""


@dataclass
class LabelHead:
    """One label's classifier for the active model, with the user's examples it came from."""

    label_id: int
    name: str
    user_threshold: float | None
    examples: dict[int, int]
    prototype: Prototype
    calibration: Calibration = NO_DECISION
    # An imported classifier pack's calibration: it decides until the user gives an example.
    preset: Calibration | None = None
    method: str = DEFAULT_METHOD
    fitted: Head | None = None
    """The fitted head when the label uses another method than MWI; its scores replace the
    prototype's. The prototype is kept up to date either way."""
    fitted_on: str | None = None
    """The digest of the inputs `fitted` came from: equal inputs need no refit."""
    revision: int = field(default=0, compare=False)
    """Moves on whenever ModelView.rescore rewrites the label's scores, which every change of
    its examples ends in (apply_examples): what is counted from them is counted again then."""

    @property
    def threshold(self) -> float:
        return self.calibration.threshold if self.user_threshold is None else self.user_threshold

    def ids(self, polarity: int) -> list[int]:
        return [image for image, sign in self.examples.items() if sign == polarity]


class ModelView:
    """The active model's in-memory view: embedding matrix, label heads and their scores."""

    def __init__(self, model: ModelRow, matrix: EmbeddingMatrix, heads: list[LabelHead]):
        self.model = model
        self.matrix = matrix
        self.heads = heads
        self.scores = np.empty((len(matrix), 0), dtype=np.float32)

    def head(self, label_id: int) -> LabelHead | None:
        return next((h for h in self.heads if h.label_id == label_id), None)

    def weights(self) -> np.ndarray:
        """One row per label; a label with nothing to go on scores 0 and decides nothing."""
        weights = np.zeros((len(self.heads), self.matrix.dims), dtype=np.float32)
        for row, head in enumerate(self.heads):
            weight = head.prototype.weight()
            if weight is not None:
                weights[row] = weight
        return weights

    def rescore(self, only: list[LabelHead] | None = None) -> None:
        """One (blocked) matrix product over the whole library; fitted heads score themselves.

        With `only`, just those labels' columns are rewritten (their label blocks multiplied,
        their fitted heads asked): every other label keeps its scores untouched, and a changed
        label gets the bits a full rescore would give it."""
        if only is None:
            self.scores = self.matrix.scores(self.weights())
            changed = self.heads
        else:
            changed = only
            columns = [self.heads.index(head) for head in only]
            self.matrix.rescore_columns(self.weights(), self.scores, columns)
        for head in changed:
            head.revision += 1
            if head.fitted is not None:
                self.scores[:, self.heads.index(head)] = head.fitted.scores(self.matrix.embeddings)

    def add_column(self, head: LabelHead) -> None:
        """A new label's head, appended with its scores alone computed."""
        self.heads.append(head)
        self.scores = np.hstack([self.scores, np.zeros((len(self.matrix), 1), np.float32)])
        self.rescore([head])

    def drop_column(self, label_id: int) -> None:
        """Forget a label's head and its scores column; no other label needs rescoring."""
        column = next((i for i, h in enumerate(self.heads) if h.label_id == label_id), None)
        if column is not None:
            del self.heads[column]
            self.scores = np.delete(self.scores, column, axis=1)

    def decisions(self) -> np.ndarray:
        """Which photo carries which label: score over threshold, overridden by the user."""
        thresholds = np.array([h.threshold for h in self.heads], dtype=np.float64)
        decided = self.scores >= thresholds[None, :]
        for column, head in enumerate(self.heads):
            self._overrule(decided[:, column], head)
        return decided

    def decided(self, column: int) -> np.ndarray:
        """One label's column of decisions()."""
        head = self.heads[column]
        return self._overrule(self.scores[:, column] >= np.float64(head.threshold), head)

    def _overrule(self, decided: np.ndarray, head: LabelHead) -> np.ndarray:
        """The user's decisions win over the score (in place)."""
        decided[self.matrix.rows(head.ids(-1))] = False
        decided[self.matrix.rows(head.ids(1))] = True
        return decided

    def probabilities(self) -> np.ndarray:
        thresholds = np.array([h.threshold for h in self.heads], dtype=np.float64)
        slopes = np.array([h.calibration.slope for h in self.heads], dtype=np.float64)
        return probability(self.scores, thresholds[None, :], slopes[None, :])

    def calibrate(self, head: LabelHead) -> None:
        """Set a head's threshold from the current scores (call after rescore)."""
        if head.prototype.weight() is None:
            head.calibration = NO_DECISION
            return
        if head.preset is not None and not head.examples:
            head.calibration = head.preset
            return
        scores = self.scores[:, self.heads.index(head)]
        positive_rows = self.matrix.rows(head.ids(1))
        rejected_rows = self.matrix.rows(head.ids(-1))
        unlabeled = np.ones(len(scores), dtype=bool)
        unlabeled[positive_rows] = False
        unlabeled[rejected_rows] = False
        if head.fitted is not None:
            held_out = head.fitted.held_out_scores()
        else:
            held_out = head.prototype.leave_one_out_scores(self.matrix.embeddings[positive_rows])
        head.calibration = calibrate(scores[unlabeled], held_out, scores[rejected_rows])


def load_matrix(store: Store, model: ModelRow) -> EmbeddingMatrix:
    stored = photos.embeddings(store, model)
    if stored.damaged:
        # A damaged row would poison every score it touches (NaN reaches predict's JSON) or
        # break the matrix's shape; it is derived data, so it goes, and the next scan repairs it.
        photos.forget_embeddings(store, model, stored.damaged)
    if not len(stored.ids):
        return EmbeddingMatrix.empty(model["embed_dim"])
    return EmbeddingMatrix(stored.ids, stored.matrix)


class LabelState:
    """The one owner of the in-memory label state of a library (see the module docstring)."""

    def __init__(self, store: Store, encode_text: Callable[[str], np.ndarray]):
        self.store = store
        self._encode_text = encode_text
        self._view: ModelView | None = None

    # ----- loading and forgetting ------------------------------------------------------------

    def view(self) -> ModelView | None:
        """The state, loaded on first use; None while the library has no model."""
        if self._view is None:
            self._view = self._load(refit=False)
        return self._view

    @property
    def loaded(self) -> ModelView | None:
        """The state if it is in memory: a change to a label not loaded needs no update."""
        return self._view

    def invalidate(self) -> None:
        """Forget the state; the next view() reads the database again."""
        self._view = None

    @contextmanager
    def rollback_on_failure(self) -> Iterator[None]:
        """One write transaction; if it fails, the in-memory state (which may be ahead of the
        rolled-back database) is forgotten."""
        try:
            with self.store.transaction():
                yield
        except BaseException:
            self.invalidate()
            raise

    def refit(self) -> None:
        """Re-imprint and recalibrate every label, after the library's photos or method changed."""
        self.invalidate()
        self._view = self._load(refit=True)

    def _load(self, refit: bool) -> ModelView | None:
        model = photos.active_model(self.store)
        if model is None:
            return None
        view = ModelView(model, load_matrix(self.store, model), [])
        saved = stored.saved_weights(self.store, model["id"])
        heads = stored.stored_heads(self.store, model["id"])
        imprinted = []
        for label in stored.all_labels(self.store):
            head = None if refit else self._head_from_saved(view, label, saved.get(label.id))
            if head is None:
                head = self._imprint(view, label, saved.get(label.id))
                imprinted.append(head)
            view.heads.append(head)
        fitted = [h for h in view.heads if self._fit(view, h, heads.get(h.label_id))]
        view.rescore()
        for head in imprinted:
            view.calibrate(head)
        if imprinted or fitted:
            with self.store.transaction():
                for head in imprinted:
                    self._save_weights(view, head)
                for head in fitted:
                    self._save_fitted(view, head)
        return view

    # ----- heads from the database -----------------------------------------------------------

    def method_for(self, label: LabelRow) -> str:
        return effective_method(label.method, LIBRARY_METHOD.read(self.store))

    def _prior(
        self, view: ModelView, label: LabelRow, saved: SavedWeights | None
    ) -> np.ndarray | None:
        """The prompt's text embedding plus an imported pack's pseudo-example: saved with the
        label's weights, computed only once."""
        if saved is not None and saved.prior is not None:
            return saved.prior
        pack = stored.imported_pack(self.store, label.id, view.model["key"])
        text = self._encode_text(label.prompt) if label.prompt else None
        if pack is None:
            return text
        vector = pack.weight * np.float32(pack.strength)
        return vector if text is None else text + vector

    def _preset(self, view: ModelView, label_id: int) -> Calibration | None:
        pack = stored.imported_pack(self.store, label_id, view.model["key"])
        return None if pack is None else Calibration(pack.threshold, pack.slope)

    def _head_from_saved(
        self, view: ModelView, label: LabelRow, saved: SavedWeights | None
    ) -> LabelHead | None:
        if saved is None:
            return None
        prototype = Prototype(saved.pos_sum, saved.n_pos, self._prior(view, label, saved))
        return LabelHead(
            label_id=label.id,
            name=label.name,
            user_threshold=label.threshold,
            examples=stored.examples_of(self.store, label.id),
            prototype=prototype,
            calibration=Calibration(saved.threshold, saved.slope),
            preset=self._preset(view, label.id),
            method=self.method_for(label),
        )

    def _imprint(self, view: ModelView, label: LabelRow, saved: SavedWeights | None) -> LabelHead:
        """The full re-imprint of a label from its stored examples."""
        examples = stored.examples_of(self.store, label.id)
        positives = view.matrix.rows([i for i, sign in examples.items() if sign == 1])
        prior = self._prior(view, label, saved)
        prototype = Prototype.from_examples(view.matrix.embeddings[positives], prior)
        return LabelHead(
            label.id,
            label.name,
            label.threshold,
            examples,
            prototype,
            preset=self._preset(view, label.id),
            method=self.method_for(label),
        )

    # ----- fitting and saving ----------------------------------------------------------------

    def _fit(self, view: ModelView, head: LabelHead, saved: StoredHead | None = None) -> bool:
        """Fit a non-MWI head from its examples as the library is embedded now, unless it (or
        the stored head `saved`) was fitted on exactly these inputs already. MWI needs nothing:
        its prototype is the classifier. Returns whether a new fit was made (to be saved)."""
        if head.method == DEFAULT_METHOD:
            head.fitted, head.fitted_on = None, None
            return False
        others = [i for other in view.heads if other is not head for i in other.ids(1)]
        inputs = head_examples(
            head.method, head.examples, view.matrix, head.prototype.prior, others
        )
        method = get_method(head.method)
        digest = examples_digest(method, inputs)
        if head.fitted is not None and head.fitted_on == digest:
            return False
        head.fitted_on = digest
        if saved is not None and saved.method == head.method and saved.examples_digest == digest:
            head.fitted = head_from_bytes(saved.blob, method, inputs)
            return False
        head.fitted = method.fit(inputs)
        return True

    def _save_weights(self, view: ModelView, head: LabelHead) -> None:
        weights = SavedWeights(
            head.prototype.pos_sum,
            head.prototype.n_pos,
            head.prototype.prior,
            head.calibration.threshold,
            head.calibration.slope,
        )
        stored.save_weights(
            self.store.conn, head.label_id, view.model["id"], head.prototype.weight(), weights
        )

    def _save_fitted(self, view: ModelView, head: LabelHead) -> None:
        """Store a fitted head, when its kind can be stored (others are refitted on load)."""
        blob = None if head.fitted is None else head_to_bytes(head.fitted)
        if blob is None or head.fitted_on is None:
            return
        record = StoredHead(head.method, head.fitted_on, blob)
        stored.save_head(self.store.conn, head.label_id, view.model["id"], record)

    # ----- label writes ----------------------------------------------------------------------

    def add_label(self, label: LabelRow) -> LabelHead | None:
        """Give a new label its head, when the state is loaded (otherwise loading will)."""
        view = self._view
        if view is None:
            return None
        head = self._imprint(view, label, None)
        fitted = self._fit(view, head)
        view.add_column(head)
        view.calibrate(head)
        with self.store.transaction():
            self._save_weights(view, head)
            if fitted:
                self._save_fitted(view, head)
        return head

    def head_for(self, view: ModelView, label: LabelRow) -> LabelHead:
        """The label's head, made now for a label another process created."""
        head = view.head(label.id) or self.add_label(label)
        assert head is not None  # view is loaded, so add_label made one
        return head

    def affected_by(self, label_id: int | None) -> set[int]:
        """The labels a change to this one (None: a label yet to be made) can refit: itself
        and every label whose method is fitted with other labels' positives."""
        dependents = {
            label.id
            for label in stored.all_labels(self.store)
            if method_uses_others(self.method_for(label))
        }
        return dependents if label_id is None else dependents | {label_id}

    def forget_label(self, label_id: int) -> None:
        view = self._view
        if view is not None:
            view.drop_column(label_id)

    def rename_label(self, label_id: int, name: str) -> None:
        head = None if self._view is None else self._view.head(label_id)
        if head is not None:
            head.name = name

    def set_user_threshold(self, label_id: int, threshold: float | None) -> None:
        head = None if self._view is None else self._view.head(label_id)
        if head is not None:
            head.user_threshold = threshold

    def set_method(self, label: LabelRow, method: str | None) -> str:
        """Store a label's own method (None: the library's) and refit it with it; returns the
        method it now uses."""
        view = self.view()
        head = None if view is None else view.head(label.id)
        with self.rollback_on_failure():
            stored.set_label_method(self.store.conn, label.id, method)
            chosen = self.method_for(LabelRow(label.id, label.name, None, None, method))
            if head is not None:
                head.method = chosen
                self.apply_examples(head, {})  # refit and recalibrate it, then save
        return chosen

    def apply_examples(self, head: LabelHead, changes: dict[int, int]) -> list[LabelHead]:
        """Write the decisions and update the label incrementally, in one transaction; returns
        the labels rescored (it, and those fitted with other labels' positives)."""
        view = self._view
        assert view is not None, "a head belongs to a loaded state"
        with self.rollback_on_failure():
            self._catch_up(view, head)
            suggested = self._suggested(view, head, changes)
            self._update_prototype(view, head, changes)
            affected = [head, *self._refit_after_change(view, head)]
            view.rescore(affected)
            for changed in affected:
                view.calibrate(changed)
            stored.write_examples(self.store.conn, head.label_id, changes, suggested)
            for changed in affected:
                self._save_weights(view, changed)
                self._save_fitted(view, changed)
        return affected

    @staticmethod
    def _suggested(view: ModelView, head: LabelHead, changes: dict[int, int]) -> set[int]:
        """The changed photos the label carries by the model's own judgement right now."""
        column = view.heads.index(head)
        found = set()
        for image in changes:
            row = view.matrix.row(image)
            if row is not None and view.scores[row, column] >= head.threshold:
                found.add(image)
        return found

    @staticmethod
    def _update_prototype(view: ModelView, head: LabelHead, changes: dict[int, int]) -> None:
        for image, polarity in changes.items():
            row = view.matrix.row(image)
            if row is not None and head.examples.get(image) == 1:
                head.prototype.remove(view.matrix.embeddings[row])
            if row is not None and polarity == 1:
                head.prototype.add(view.matrix.embeddings[row])
            if polarity == 0:
                head.examples.pop(image, None)
            else:
                head.examples[image] = polarity

    def _catch_up(self, view: ModelView, head: LabelHead) -> None:
        """Start from the database's examples when another process (the app, the command line,
        the watcher) changed them since this one loaded the label: its saved imprint would
        otherwise leave their examples out. Call inside the write transaction."""
        current = stored.examples_of(self.store, head.label_id)
        if current == head.examples:
            return
        positives = view.matrix.rows([i for i, sign in current.items() if sign == 1])
        head.examples = current
        head.prototype = Prototype.from_examples(
            view.matrix.embeddings[positives], head.prototype.prior
        )

    def _refit_after_change(self, view: ModelView, changed: LabelHead) -> list[LabelHead]:
        """Refit the changed label's head, and every other head fitted with other labels'
        positives; returns those others (their thresholds move too)."""
        self._fit(view, changed)
        dependents = [h for h in view.heads if h is not changed and method_uses_others(h.method)]
        for head in dependents:
            self._fit(view, head)
        return dependents
