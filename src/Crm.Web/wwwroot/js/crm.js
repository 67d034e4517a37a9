// Small helpers called from Blazor through IJSRuntime.
window.crm = {
    setCookie: function (name, value, days) {
        const expires = new Date(Date.now() + days * 864e5).toUTCString();
        document.cookie = name + "=" + encodeURIComponent(value) + "; expires=" + expires + "; path=/; SameSite=Lax";
    },
    copyText: function (text) {
        if (navigator.clipboard) { return navigator.clipboard.writeText(text); }
        return Promise.resolve();
    },
    downloadText: function (fileName, mime, text) {
        const blob = new Blob([text], { type: mime });
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = fileName;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    }
};
