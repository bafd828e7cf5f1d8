// Send the deep-linking response back to the platform at once; the button stays for browsers without scripts.
document.getElementById("deep-link-return").submit();
