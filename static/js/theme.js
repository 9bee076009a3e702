// Apply the saved theme before first paint so dark-theme users never see a white flash.
// Loaded in <head> as a file of its own: the Content-Security-Policy allows no inline script.
document.documentElement.dataset.theme = localStorage.getItem("funcpad.theme") || "light";
