// The respond form's checks in the page, before anything is sent: the server's rules
// (read from the attributes it rendered from each question's settings) and its wording,
// shown the way the server shows its own errors (beside each question, and a summary on
// top linking to them). The server checks again; without this script it alone does.
//
// The browser checks what HTML says (required, min, max, step, maxlength); this adds
// what it cannot (how many boxes of a multiple-choice question, blank-but-spaces text)
// with setCustomValidity, and turns the browser's bubbles into the page's messages.
// A form with noValidate set is sent unchecked, as browsers do.
(() => {
  "use strict";

  const form = document.querySelector("form[data-rs-form]");
  if (!form) {
    return;
  }
  const questions = [...form.querySelectorAll("[data-rs-question]")];

  const upper = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const controls = (block) => [...block.querySelectorAll("input, textarea")];
  const labelOf = (block) => {
    const legend = block.querySelector(".rs-legend");
    const clone = legend.cloneNode(true);
    clone.querySelectorAll(".rs-required").forEach((el) => el.remove());
    return clone.textContent.trim();
  };

  // What the server would say about a question's answer; "" when it takes it.
  const problem = (block) => {
    const kind = block.dataset.rsKind;
    const inputs = controls(block);
    if (kind === "multiple_choice") {
      const count = inputs.filter((input) => input.checked).length;
      const low = Number(block.dataset.rsMin);
      const high = Number(block.dataset.rsMax);
      if (count === 0) {
        return block.dataset.rsRequired === "true" ? "an answer is required" : "";
      }
      return count < low || count > high ? `choose ${low} to ${high} options` : "";
    }
    if (kind === "single_choice" || kind === "rating") {
      const required = inputs.some((input) => input.required);
      return required && !inputs.some((input) => input.checked) ? "an answer is required" : "";
    }
    const input = inputs[0];
    const validity = input.validity;
    if (validity.badInput) {
      return "enter a number";
    }
    if (validity.valueMissing || (input.required && input.value.trim() === "")) {
      return "an answer is required";
    }
    if (validity.rangeUnderflow) {
      return `the answer must be at least ${input.min}`;
    }
    if (validity.rangeOverflow) {
      return `the answer must be at most ${input.max}`;
    }
    if (validity.stepMismatch) {
      return "the answer must be a whole number";
    }
    if (validity.tooLong || (input.maxLength > 0 && input.value.length > input.maxLength)) {
      return `at most ${input.maxLength} characters`;
    }
    return "";
  };

  // The rules HTML cannot state, told to the browser on the question's first control
  // (its native rules it knows already).
  const updateCustom = (block) => {
    const kind = block.dataset.rsKind;
    const first = controls(block)[0];
    if (kind === "multiple_choice" || kind === "text") {
      first.setCustomValidity(upper(problem(block)));
    }
  };

  const describedBy = (element, id, present) => {
    const ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    const kept = ids.filter((other) => other !== id);
    if (present) {
      kept.push(id);
    }
    if (kept.length) {
      element.setAttribute("aria-describedby", kept.join(" "));
    } else {
      element.removeAttribute("aria-describedby");
    }
  };

  // Show (or clear) a question's message, as the server renders it.
  const show = (block, message) => {
    const name = block.dataset.rsQuestion;
    const errorId = `${name}-error`;
    let error = block.querySelector(".sv-error");
    if (!message) {
      if (error) {
        error.remove();
      }
    } else {
      if (!error) {
        error = document.createElement("p");
        error.className = "sv-error";
        error.id = errorId;
        const hint = block.querySelector(".sv-hint");
        const after = hint || block.querySelector(".rs-legend");
        after.after(error);
      }
      error.textContent = upper(message);
    }
    const group = block.tagName === "FIELDSET";
    block.classList.toggle("rs-question--invalid", Boolean(message));
    block.classList.toggle("sv-field--invalid", Boolean(message) && !group);
    controls(block).forEach((input) => {
      if (message) {
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
      if (!group) {
        describedBy(input, errorId, Boolean(message));
      }
    });
    if (group) {
      describedBy(block, errorId, Boolean(message));
    }
  };

  // The summary on top, the server's markup; only one alert on the page at a time.
  const summarize = (problems) => {
    let summary = document.getElementById("error-summary");
    if (!problems.length) {
      if (summary) {
        summary.remove();
      }
      return null;
    }
    if (!summary) {
      summary = document.createElement("div");
      summary.className = "sv-alert sv-alert--error";
      summary.id = "error-summary";
      summary.setAttribute("role", "alert");
      summary.tabIndex = -1;
      form.before(summary);
    }
    const heading = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent =
      problems.length === 1 ? "There is a problem" : `There are ${problems.length} problems`;
    heading.append(strong);
    const list = document.createElement("ul");
    problems.forEach(([block, message]) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${block.dataset.rsQuestion}`;
      // As the server's summary writes it: "Which days? Choose 1 to 2 options".
      const label = labelOf(block);
      link.textContent = `${label}${/[?!.:]$/.test(label) ? " " : ": "}${upper(message)}`;
      item.append(link);
      list.append(item);
    });
    summary.replaceChildren(heading, list);
    return summary;
  };

  // A question answered well leaves the summary (and the summary goes with the last).
  const unlist = (block) => {
    const summary = document.getElementById("error-summary");
    const link = summary && summary.querySelector(`a[href="#${block.dataset.rsQuestion}"]`);
    if (!link) {
      return;
    }
    link.closest("li").remove();
    const left = summary.querySelectorAll("li").length;
    if (!left) {
      summary.remove();
      return;
    }
    summary.querySelector("strong").textContent =
      left === 1 ? "There is a problem" : `There are ${left} problems`;
  };

  // A link of the summary moves the focus to its question's first control.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("#error-summary a[href^='#']");
    const target = link && document.getElementById(link.hash.slice(1));
    if (target) {
      event.preventDefault();
      target.focus();
      target.closest("[data-rs-question]").scrollIntoView({ block: "center" });
    }
  });

  // The browser found the form invalid (it fires "invalid" at each bad control before
  // it would send the form): the page's messages instead of its bubbles, all at once.
  let pending = false;
  form.addEventListener(
    "invalid",
    (event) => {
      event.preventDefault();
      if (pending) {
        return;
      }
      pending = true;
      window.setTimeout(() => {
        pending = false;
        const problems = [];
        questions.forEach((block) => {
          const message = problem(block);
          show(block, message);
          if (message) {
            problems.push([block, message]);
          }
        });
        const summary = summarize(problems);
        if (summary) {
          summary.focus();
        }
      }, 0);
    },
    true,
  );

  // While answering: keep the custom rules current, and clear a message once its
  // question is answered well (a new one waits for the next attempt to send).
  const onChange = (event) => {
    const block = event.target.closest("[data-rs-question]");
    if (!block) {
      return;
    }
    updateCustom(block);
    if (block.classList.contains("rs-question--invalid") && !problem(block)) {
      show(block, "");
      unlist(block);
    }
  };
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  questions.forEach(updateCustom);
})();
