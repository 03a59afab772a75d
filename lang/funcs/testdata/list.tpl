%{ for i, n in names ~}
${i}: ${upper(n)}
%{ endfor ~}
