/**
 * The timeline: the workflow replayed in recorded order (by seq). A slider and a play button
 * step through the tasks; the DAG dims what was not recorded yet, and the rows around the current
 * step can be selected.
 * @module
 */
import type { TaskNode } from '../api.js';
import { clip, h, isoTime, replace } from './dom.js';

/** Rows listed around the current step. */
const AROUND = 8;

/** Builds the timeline; `onStep` is told which tasks are recorded up to the step (all: undefined). */
export function timeline(options: {
  readonly tasks: readonly TaskNode[];
  readonly onStep: (recorded: readonly TaskNode[] | undefined) => void;
  readonly onSelect: (task: TaskNode) => void;
}): HTMLElement {
  const { tasks, onStep, onSelect } = options;
  const n = tasks.length;
  const slider = h('input', {
    class: 'timeline-slider',
    attrs: { type: 'range', min: '0', max: String(n), value: String(n), 'aria-label': 'step' },
  });
  const label = h('span', { class: 'timeline-label' });
  const list = h('ol', { class: 'timeline-list' });
  let timer: number | undefined;
  const play = h('button', { attrs: { type: 'button' } }, '▶ replay');
  const show = (step: number): void => {
    slider.value = String(step);
    const current = tasks[step - 1];
    label.textContent =
      current === undefined
        ? `step 0 of ${n}: nothing recorded yet`
        : `step ${step} of ${n}: seq ${current.seq} at ${isoTime(current.recordedAt)}`;
    onStep(step >= n ? undefined : tasks.slice(0, step));
    const from = Math.max(0, step - AROUND);
    replace(
      list,
      ...tasks.slice(from, Math.min(n, step + AROUND)).map((task, i) =>
        h(
          'li',
          {
            class: from + i < step ? 'done' : 'later',
            attrs: { value: String(from + i + 1) },
          },
          h(
            'button',
            { class: 'linkish', attrs: { type: 'button' }, onClick: () => onSelect(task) },
            `${clip(task.execAct, 60)} — ${clip(task.iss, 60)} (seq ${task.seq})`,
          ),
        ),
      ),
    );
  };
  const stop = (): void => {
    if (timer !== undefined) window.clearInterval(timer);
    timer = undefined;
    play.textContent = '▶ replay';
  };
  play.addEventListener('click', () => {
    if (timer !== undefined) return stop();
    let step = Number(slider.value) >= n ? 0 : Number(slider.value);
    play.textContent = '⏸ pause';
    // About ten seconds for the whole workflow, at most five steps a second.
    const delay = Math.max(10, Math.min(200, 10_000 / Math.max(1, n)));
    timer = window.setInterval(() => {
      step++;
      show(step);
      if (step >= n) stop();
    }, delay);
  });
  slider.addEventListener('input', () => {
    stop();
    show(Number(slider.value));
  });
  show(n);
  return h(
    'section',
    { class: 'timeline' },
    h('h3', {}, 'Timeline (recorded order)'),
    h('div', { class: 'timeline-controls' }, play, slider, label),
    list,
  );
}
