::a:: ;; goto a
